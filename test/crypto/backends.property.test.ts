/**
 * Cross-backend property tests: node:crypto (OpenSSL) and noble (pure JS, plus this project's DES and
 * bigint MODP) share no code, so identical output on random inputs is strong evidence both are right.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backend, type EcpGroupId } from '../../src/crypto/backend.js';
import { desEncryptBlock8 } from '../../src/crypto/des.js';
import { desBlock, desKeySchedule } from '../../src/crypto/des-core.js';
import { generateDhPrivateKey } from '../../src/crypto/dh.js';
import { CryptoError } from '../../src/crypto/errors.js';
import type { ModpGroupId } from '../../src/crypto/modp-groups.js';
import type { HashName } from '../../src/crypto/registry.js';

const node = backend('node');
const noble = backend('noble');
const HASH_NAMES: readonly HashName[] = ['md5', 'sha1', 'sha256', 'sha384', 'sha512'];

const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max });
const blocks = (blockSize: number, maxBlocks: number) =>
  fc.integer({ min: 0, max: maxBlocks }).chain((n) => bytes(n * blockSize, n * blockSize));

/** An Rng that replays fast-check's bytes (cycled), so private keys are shrinkable inputs. */
const replayRng = (seed: Uint8Array) => (n: number) => {
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = seed[i % seed.length] ^ (i >> 8);
  return out;
};

describe('node and noble backends agree', () => {
  it('hash over arbitrary part splits', () => {
    fc.assert(
      fc.property(fc.constantFrom(...HASH_NAMES), fc.array(bytes(0, 300), { maxLength: 5 }), (alg, parts) => {
        expect(noble.hash(alg, parts).equals(node.hash(alg, parts))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('HMAC with keys shorter and longer than the block', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...HASH_NAMES),
        bytes(0, 200),
        fc.array(bytes(0, 300), { maxLength: 4 }),
        (alg, key, parts) => {
          expect(noble.hmac(alg, key, parts).equals(node.hmac(alg, key, parts))).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('AES-CBC with 128, 192 and 256-bit keys, both directions', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(16, 24, 32).chain((k) => bytes(k, k)),
        bytes(16, 16),
        blocks(16, 40),
        (key, iv, data) => {
          const a = node.cbcEncrypt('aes-cbc', key, iv, data);
          expect(noble.cbcEncrypt('aes-cbc', key, iv, data).equals(a)).toBe(true);
          expect(noble.cbcDecrypt('aes-cbc', key, iv, a).equals(Buffer.from(data))).toBe(true);
          expect(
            node.cbcDecrypt('aes-cbc', key, iv, data).equals(noble.cbcDecrypt('aes-cbc', key, iv, data)),
          ).toBe(true);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('3DES-CBC (OpenSSL against des-core), both directions', () => {
    fc.assert(
      fc.property(bytes(24, 24), bytes(8, 8), blocks(8, 12), (key, iv, data) => {
        const a = node.cbcEncrypt('3des-cbc', key, iv, data);
        expect(noble.cbcEncrypt('3des-cbc', key, iv, data).equals(a)).toBe(true);
        expect(noble.cbcDecrypt('3des-cbc', key, iv, a).equals(Buffer.from(data))).toBe(true);
        expect(
          node.cbcDecrypt('3des-cbc', key, iv, data).equals(noble.cbcDecrypt('3des-cbc', key, iv, data)),
        ).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('single DES block: des-core against OpenSSL', () => {
    fc.assert(
      fc.property(bytes(8, 8), bytes(8, 8), (key, block) => {
        const out = Buffer.alloc(8);
        desBlock(desKeySchedule(key), false, block, 0, out, 0);
        expect(out.equals(desEncryptBlock8(key, block))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('AES-GCM-16 seal, and each opens what the other sealed', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(16, 24, 32).chain((k) => bytes(k, k)),
        bytes(12, 12),
        bytes(0, 64),
        bytes(0, 1500),
        (key, nonce, aad, pt) => {
          const a = node.gcmSeal(key, nonce, aad, pt);
          expect(noble.gcmSeal(key, nonce, aad, pt).equals(a)).toBe(true);
          expect(noble.gcmOpen(key, nonce, aad, a)?.equals(Buffer.from(pt))).toBe(true);
          expect(node.gcmOpen(key, nonce, aad, a)?.equals(Buffer.from(pt))).toBe(true);
          if (a.length > 0) {
            const bad = Buffer.from(a);
            bad[0] ^= 0x80;
            expect(node.gcmOpen(key, nonce, aad, bad)).toBeUndefined();
            expect(noble.gcmOpen(key, nonce, aad, bad)).toBeUndefined();
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('ECDH (groups 19, 20, 21): same public values and same shared x across backends', () => {
    fc.assert(
      fc.property(fc.constantFrom<EcpGroupId>(19, 20, 21), bytes(8, 64), bytes(8, 64), (g, sa, sb) => {
        const a = generateDhPrivateKey(g, replayRng(sa));
        const b = generateDhPrivateKey(g, replayRng(sb));
        const pa = node.ecpPublic(g, a);
        const pb = noble.ecpPublic(g, b);
        expect(noble.ecpPublic(g, a).equals(pa)).toBe(true);
        expect(node.ecpPublic(g, b).equals(pb)).toBe(true);
        const s = node.ecpSecret(g, a, pb);
        expect(noble.ecpSecret(g, b, pa).equals(s)).toBe(true);
      }),
      { numRuns: 15 },
    );
  });

  it('MODP (groups 1, 2, 5, 14): OpenSSL DH against bigint modexp', () => {
    fc.assert(
      fc.property(fc.constantFrom<ModpGroupId>(1, 2, 5, 14), bytes(8, 64), bytes(8, 64), (g, sa, sb) => {
        const a = generateDhPrivateKey(g, replayRng(sa));
        const b = generateDhPrivateKey(g, replayRng(sb));
        const pa = node.modpPublic(g, a);
        const pb = noble.modpPublic(g, b);
        expect(noble.modpPublic(g, a).equals(pa)).toBe(true);
        expect(node.modpPublic(g, b).equals(pb)).toBe(true);
        expect(noble.modpSecret(g, b, pa).equals(node.modpSecret(g, a, pb))).toBe(true);
      }),
      { numRuns: 15 },
    );
  });

  it('wrong key lengths and partial blocks raise the same typed error on both', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<'aes-cbc' | '3des-cbc'>('aes-cbc', '3des-cbc'),
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 1, max: 200 }),
        (cipher, keyLen, dataLen) => {
          const block = cipher === 'aes-cbc' ? 16 : 8;
          const validKey = cipher === 'aes-cbc' ? [16, 24, 32].includes(keyLen) : keyLen === 24;
          const iv = Buffer.alloc(block);
          for (const be of [node, noble]) {
            const run = () => be.cbcEncrypt(cipher, Buffer.alloc(keyLen), iv, Buffer.alloc(dataLen));
            if (!validKey) expect(run).toThrow(expect.objectContaining({ code: 'key-length' }));
            else if (dataLen % block !== 0)
              expect(run).toThrow(expect.objectContaining({ code: 'input-length' }));
            else expect(run().length).toBe(dataLen);
            if (!validKey) expect(run).toThrow(CryptoError);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cbcDecrypt, cbcEncrypt } from '../../src/crypto/cbc.js';
import { CbcContext } from '../../src/crypto/cbc-context.js';
import { CryptoError } from '../../src/crypto/errors.js';
import { hex, loadVectors } from './vectors-helpers.js';

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });

describe('CbcContext (long-lived cipher per SA)', () => {
  it('reproduces RFC 3602 cases 1-8 in both directions', () => {
    const { cases } = loadVectors<{
      cases: { key: string; iv: string; plaintext: string; ciphertext: string }[];
    }>('rfc3602-aes-cbc.json');
    for (const c of cases) {
      const ctx = new CbcContext('aes-cbc', hex(c.key));
      expect(ctx.encrypt(hex(c.iv), hex(c.plaintext)).toString('hex')).toBe(c.ciphertext);
      expect(ctx.decrypt(hex(c.iv), hex(c.ciphertext)).toString('hex')).toBe(c.plaintext);
    }
  });

  it('matches one-shot CBC over a random sequence of packets (state never leaks between packets)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<['aes-cbc' | '3des-cbc', number, number]>(
          ['aes-cbc', 16, 16],
          ['aes-cbc', 24, 16],
          ['aes-cbc', 32, 16],
          ['3des-cbc', 24, 8],
        ),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.array(
          fc.tuple(fc.integer({ min: 0, max: 100 }), fc.uint8Array({ minLength: 16, maxLength: 16 })),
          {
            minLength: 1,
            maxLength: 8,
          },
        ),
        ([cipher, keyLen, bs], keySeed, packets) => {
          const key = keySeed.subarray(0, keyLen);
          const ctx = new CbcContext(cipher, key);
          for (const [nBlocks, seed] of packets) {
            const iv = seed.subarray(0, bs);
            const data = Buffer.alloc(nBlocks * bs, seed[0]);
            for (let i = 0; i < data.length; i++) data[i] ^= (i * 131) & 0xff;
            const ct = ctx.encrypt(iv, data);
            expect(ct.equals(cbcEncrypt(cipher, key, iv, data))).toBe(true);
            expect(ctx.decrypt(iv, ct).equals(data)).toBe(true);
            expect(ctx.decrypt(iv, data).equals(cbcDecrypt(cipher, key, iv, data))).toBe(true);
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('keeps the typed errors of one-shot CBC', () => {
    expect(() => new CbcContext('aes-cbc', Buffer.alloc(20))).toThrow(CryptoError);
    const ctx = new CbcContext('aes-cbc', Buffer.alloc(16));
    expect(() => ctx.encrypt(Buffer.alloc(16), Buffer.alloc(17))).toThrow(CryptoError);
    expect(() => ctx.decrypt(Buffer.alloc(8), Buffer.alloc(16))).toThrow(CryptoError);
    fc.assert(fc.property(bytes(16), (iv) => ctx.encrypt(iv, Buffer.alloc(0)).length === 0));
  });
});

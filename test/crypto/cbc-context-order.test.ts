/**
 * CbcContext as an IKE SA uses it (src/ike/ike-sa.ts): one context per phase-1 key, messages in either
 * direction in any order (a responder decrypts MM5 before it encrypts MM6; an initiator the reverse), each
 * under its own IV from the RFC 2409 Appendix B chains. Every result must equal one-shot CBC (cbc.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cbcDecrypt, cbcEncrypt } from '../../src/crypto/cbc.js';
import { CbcContext } from '../../src/crypto/cbc-context.js';

type Op = { encrypt: boolean; blocks: number; ivSeed: number; dataSeed: number };

function bytes(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

describe('CbcContext in any order of directions (IKE phase-1 use)', () => {
  it('decrypt-first, encrypt-first and interleaved sequences all match one-shot CBC', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<['aes-cbc' | '3des-cbc', number, number]>(
          ['aes-cbc', 16, 16],
          ['aes-cbc', 32, 16],
          ['3des-cbc', 24, 8],
        ),
        fc.integer(),
        fc.array(
          fc.record({
            encrypt: fc.boolean(),
            blocks: fc.integer({ min: 1, max: 12 }),
            ivSeed: fc.integer(),
            dataSeed: fc.integer(),
          }),
          { minLength: 1, maxLength: 12 },
        ),
        ([cipher, keyLen, bs], keySeed, ops: Op[]) => {
          const key = bytes(keyLen, keySeed);
          const ctx = new CbcContext(cipher, key);
          for (const op of ops) {
            const iv = bytes(bs, op.ivSeed);
            const data = bytes(op.blocks * bs, op.dataSeed);
            const got = op.encrypt ? ctx.encrypt(iv, data) : ctx.decrypt(iv, data);
            const want = op.encrypt ? cbcEncrypt(cipher, key, iv, data) : cbcDecrypt(cipher, key, iv, data);
            expect(got.toString('hex')).toBe(want.toString('hex'));
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('keeps its own copy of the key and leaves the caller’s IV and data untouched', () => {
    const key = bytes(16, 7);
    const ctx = new CbcContext('aes-cbc', key);
    const keyCopy = Buffer.from(key);
    const iv = bytes(16, 8);
    const data = bytes(48, 9);
    const [ivCopy, dataCopy] = [Buffer.from(iv), Buffer.from(data)];
    key.fill(0);
    const ct = ctx.encrypt(iv, data);
    expect(ct.equals(cbcEncrypt('aes-cbc', keyCopy, ivCopy, dataCopy))).toBe(true);
    expect(ctx.decrypt(iv, ct).equals(dataCopy)).toBe(true);
    expect(iv.equals(ivCopy) && data.equals(dataCopy)).toBe(true);
  });
});

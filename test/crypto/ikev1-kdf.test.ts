/**
 * The IKEv1 derivations that no published vector covers (IVs, HASH_I/HASH_R, Quick Mode hashes, KEYMAT
 * with PFS) checked against the RFC 2409 formulas written out byte by byte with noble's HMAC, an
 * implementation independent of the one under test.
 */
import { hmac as nobleHmac } from '@noble/hashes/hmac.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CryptoError } from '../../src/crypto/errors.js';
import {
  hashI,
  hashR,
  keymat,
  phase1EncryptionKey,
  phase1Iv,
  phase2Iv,
  quickModeHash1,
  quickModeHash2,
  quickModeHash3,
} from '../../src/crypto/ikev1-kdf.js';

const b = (n: number, len: number) => Buffer.alloc(len, n);
const cat = (...p: Uint8Array[]) => Buffer.concat(p);
const prf = (key: Uint8Array, ...data: Uint8Array[]) => Buffer.from(nobleHmac(sha1, key, cat(...data)));
const MID = 0x12345678;
const midBytes = Buffer.from([0x12, 0x34, 0x56, 0x78]);

describe('IKEv1 derivations against the RFC 2409 formulas', () => {
  const skeyid = b(1, 20);
  const gxi = b(2, 128);
  const gxr = b(3, 128);
  const ckyI = b(4, 8);
  const ckyR = b(5, 8);
  const sai = b(6, 52);
  const idii = b(7, 8);
  const idir = b(8, 8);

  it('HASH_I and HASH_R take their inputs in the RFC 2409 section 5 order', () => {
    expect(
      hashI('sha1', skeyid, gxi, gxr, ckyI, ckyR, sai, idii).equals(
        prf(skeyid, gxi, gxr, ckyI, ckyR, sai, idii),
      ),
    ).toBe(true);
    expect(
      hashR('sha1', skeyid, gxr, gxi, ckyR, ckyI, sai, idir).equals(
        prf(skeyid, gxr, gxi, ckyR, ckyI, sai, idir),
      ),
    ).toBe(true);
  });

  it('phase-1 IV = hash(g^xi | g^xr) and phase-2 IV = hash(last block | M-ID), truncated (Appendix B)', () => {
    expect(phase1Iv('sha256', gxi, gxr, 16).equals(Buffer.from(sha256(cat(gxi, gxr))).subarray(0, 16))).toBe(
      true,
    );
    expect(phase1Iv('sha1', gxi, gxr, 8).equals(Buffer.from(sha1(cat(gxi, gxr))).subarray(0, 8))).toBe(true);
    const last = b(9, 16);
    expect(
      phase2Iv('sha1', last, MID, 16).equals(Buffer.from(sha1(cat(last, midBytes))).subarray(0, 16)),
    ).toBe(true);
    expect(() => phase1Iv('md5', gxi, gxr, 32)).toThrow(CryptoError);
  });

  it('Quick Mode HASH(1), HASH(2), HASH(3) (RFC 2409 section 5.5)', () => {
    const a = b(10, 20);
    const ni = b(11, 16);
    const nr = b(12, 16);
    const payloads = b(13, 100);
    expect(quickModeHash1('sha1', a, MID, payloads).equals(prf(a, midBytes, payloads))).toBe(true);
    expect(quickModeHash2('sha1', a, MID, ni, payloads).equals(prf(a, midBytes, ni, payloads))).toBe(true);
    expect(quickModeHash3('sha1', a, MID, ni, nr).equals(prf(a, Buffer.of(0), midBytes, ni, nr))).toBe(true);
  });

  it('KEYMAT with expansion, with and without the PFS g^xy (RFC 2409 section 5.5)', () => {
    const d = b(14, 20);
    const spi = Buffer.from([0xc0, 0xff, 0xee, 0x01]);
    const ni = b(15, 16);
    const nr = b(16, 16);
    const gqm = b(17, 128);
    const k1 = prf(d, Buffer.of(3), spi, ni, nr);
    const k2 = prf(d, k1, Buffer.of(3), spi, ni, nr);
    expect(keymat('sha1', d, 3, spi, ni, nr, 36).equals(cat(k1, k2).subarray(0, 36))).toBe(true);
    const p1 = prf(d, gqm, Buffer.of(3), spi, ni, nr);
    const p2 = prf(d, p1, gqm, Buffer.of(3), spi, ni, nr);
    const p3 = prf(d, p2, gqm, Buffer.of(3), spi, ni, nr);
    expect(keymat('sha1', d, 3, spi, ni, nr, 52, gqm).equals(cat(p1, p2, p3).subarray(0, 52))).toBe(true);
  });

  it('the phase-1 key expands only when SKEYID_e is short (3DES and AES-256 with SHA-1)', () => {
    const e = b(18, 20);
    const k1 = prf(e, Buffer.of(0));
    const k2 = prf(e, k1);
    expect(phase1EncryptionKey('sha1', e, 24).equals(cat(k1, k2).subarray(0, 24))).toBe(true);
    expect(phase1EncryptionKey('sha1', e, 32).equals(cat(k1, k2).subarray(0, 32))).toBe(true);
    expect(phase1EncryptionKey('sha1', e, 16).equals(e.subarray(0, 16))).toBe(true);
    expect(phase1EncryptionKey('sha256', b(19, 32), 32).equals(b(19, 32))).toBe(true);
  });

  it('KEYMAT is a prefix-consistent stream: asking for more never changes the first bytes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 200 }), (m, n) => {
        const args = ['sha256', b(1, 32), 50, b(2, 4), b(3, 16), b(4, 16)] as const;
        const x = keymat(...args, m);
        const y = keymat(...args, n);
        const k = Math.min(m, n);
        expect(x.subarray(0, k).equals(y.subarray(0, k))).toBe(true);
      }),
      { numRuns: 50 },
    );
  });

  it('rejects nonsense lengths with typed errors', () => {
    expect(() => keymat('sha1', b(1, 20), 3, b(2, 4), b(3, 8), b(4, 8), 0)).toThrow(CryptoError);
    expect(() => keymat('sha1', b(1, 20), 256, b(2, 4), b(3, 8), b(4, 8), 16)).toThrow(CryptoError);
    expect(() => phase1EncryptionKey('sha1', b(1, 20), 0)).toThrow(CryptoError);
  });
});

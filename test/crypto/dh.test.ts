import { p256, p384, p521 } from '@noble/curves/nist.js';
import { describe, expect, it } from 'vitest';
import { backend } from '../../src/crypto/backend.js';
import { bigIntToBytes } from '../../src/crypto/bytes.js';
import {
  dhKeyPairFromPrivate,
  generateDhKeyPair,
  generateDhPrivateKey,
  validateDhPublic,
} from '../../src/crypto/dh.js';
import { CryptoError } from '../../src/crypto/errors.js';
import { modpPrime } from '../../src/crypto/modp-groups.js';
import { DH_GROUPS, type DhGroupId } from '../../src/crypto/registry.js';
import { BACKENDS, withBackend } from './vectors-helpers.js';

function expectDhError(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CryptoError);
    expect((err as CryptoError).code).toBe('dh-public-value');
    return;
  }
  throw new Error('expected CryptoError(dh-public-value)');
}

const MODP: readonly DhGroupId[] = [1, 2, 5, 14];
const ECP: readonly DhGroupId[] = [19, 20, 21];

describe('Diffie-Hellman public value validation (RFC 2409 s6, RFC 3526, RFC 5903 s7)', () => {
  it.each(MODP)('MODP group %i rejects 0, 1, p-1, p, p+1, all-ones and wrong lengths', (id) => {
    const g = DH_GROUPS[id];
    const p = modpPrime(id as 1).value;
    const len = g.publicSize;
    for (const v of [0n, 1n, p - 1n, p, p + 1n, (1n << BigInt(len * 8)) - 1n]) {
      expectDhError(() => validateDhPublic(g, bigIntToBytes(v, len)));
    }
    expectDhError(() => validateDhPublic(g, Buffer.alloc(len - 1, 0x55)));
    expectDhError(() => validateDhPublic(g, Buffer.alloc(len + 1, 0x55)));
    expectDhError(() => validateDhPublic(g, Buffer.alloc(0)));
    // The edges just inside are accepted: 2 and p-2.
    validateDhPublic(g, bigIntToBytes(2n, len));
    validateDhPublic(g, bigIntToBytes(p - 2n, len));
    // computeSecret validates before computing.
    const kp = generateDhKeyPair(id);
    expectDhError(() => kp.computeSecret(bigIntToBytes(1n, len)));
  });

  it.each(ECP)(
    'ECP group %i rejects points off the curve, out-of-range coordinates and wrong lengths',
    (id) => {
      const g = DH_GROUPS[id];
      const good = generateDhKeyPair(id).publicValue;
      validateDhPublic(g, good);
      const n = g.secretSize;
      const offCurve = Buffer.from(good);
      offCurve[offCurve.length - 1] ^= 1; // y changed: no longer on y^2 = x^3 - 3x + b
      expectDhError(() => validateDhPublic(g, offCurve));
      expectDhError(() => validateDhPublic(g, Buffer.alloc(2 * n))); // (0, 0) is not on the curve
      expectDhError(() => validateDhPublic(g, Buffer.alloc(2 * n, 0xff))); // coordinates >= p
      expectDhError(() => validateDhPublic(g, good.subarray(0, 2 * n - 1)));
      expectDhError(() => validateDhPublic(g, Buffer.concat([Buffer.of(4), good]))); // SEC1 prefix is not IKE's form
      expectDhError(() => generateDhKeyPair(id).computeSecret(offCurve));
    },
  );
});

describe('Diffie-Hellman key pairs', () => {
  it.each(BACKENDS)('every key pair has its own private key, even from the cached MODP object (%s)', (be) => {
    withBackend(be, () => {
      for (const id of [2, 14, 19] as const) {
        const pairs = Array.from({ length: 4 }, () => generateDhKeyPair(id));
        const pubs = new Set(pairs.map((k) => k.publicValue.toString('hex')));
        expect(pubs.size).toBe(4);
        // Interleaved use: computing with pair 0 after pairs 1-3 were created still uses pair 0's key.
        const peer = generateDhKeyPair(id);
        const s0 = pairs[0].computeSecret(peer.publicValue);
        const s3 = pairs[3].computeSecret(peer.publicValue);
        expect(s0.equals(peer.computeSecret(pairs[0].publicValue))).toBe(true);
        expect(s3.equals(peer.computeSecret(pairs[3].publicValue))).toBe(true);
        expect(s0.equals(s3)).toBe(false);
        expect(s0.length).toBe(DH_GROUPS[id].secretSize);
      }
    });
  });

  it('MODP public values and secrets keep their leading zeros (fixed length, RFC 2409 s5)', () => {
    // Search small private keys for a public value with a leading zero byte; g^x mod p has one in ~1/256.
    let found = false;
    for (let x = 2; x < 5000 && !found; x++) {
      const kp = dhKeyPairFromPrivate(2, bigIntToBytes(BigInt(x) * 0x10001n, 4));
      expect(kp.publicValue.length).toBe(128);
      if (kp.publicValue[0] === 0) {
        found = true;
        const n = backend('noble').modpPublic(2, bigIntToBytes(BigInt(x) * 0x10001n, 4));
        expect(n.equals(kp.publicValue)).toBe(true);
      }
    }
    expect(found).toBe(true);
  });

  it('ECP private keys are drawn from [1, n-1] by rejection: 0, n and above are redrawn (RFC 5903 section 7)', () => {
    for (const [group, curve, len] of [
      [19, p256, 32],
      [20, p384, 48],
      [21, p521, 66],
    ] as const) {
      const n = curve.Point.CURVE().n;
      const candidates = [
        Buffer.alloc(len), // 0: redrawn
        bigIntToBytes(n, len), // n: redrawn
        bigIntToBytes(n + 1n, len), // above n: redrawn
        bigIntToBytes(5n, len), // leading zero bytes, small but valid
      ];
      let draws = 0;
      const rng = (k: number): Buffer => {
        expect(k).toBe(len);
        return Buffer.from(candidates[draws++]);
      };
      expect(generateDhPrivateKey(group, rng)).toEqual(bigIntToBytes(5n, len));
      expect(draws).toBe(4);
      const top = bigIntToBytes(n - 1n, len);
      expect(generateDhPrivateKey(group, () => Buffer.from(top))).toEqual(top);
    }
  });

  it('rejects an unknown group with CryptoError(unsupported)', () => {
    expect(() => generateDhKeyPair(3 as DhGroupId)).toThrow(CryptoError);
  });
});

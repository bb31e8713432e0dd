/**
 * The ECP key pair's own peer-point check (RFC 5903 section 7). On the node backend computeSecret no longer
 * runs noble's on-curve check first: it relies on OpenSSL rejecting the point while decoding it. These
 * tests feed every kind of invalid value through computeSecret on both backends and require the same
 * CryptoError('dh-public-value'), and require a valid point to still give the noble-computed secret.
 */
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { describe, expect, it } from 'vitest';
import { backend } from '../../src/crypto/backend.js';
import { bigIntToBytes, bytesToBigInt } from '../../src/crypto/bytes.js';
import { dhKeyPairFromPrivate, generateDhKeyPair } from '../../src/crypto/dh.js';
import { CryptoError } from '../../src/crypto/errors.js';
import { DH_GROUPS } from '../../src/crypto/registry.js';
import { BACKENDS, withBackend } from './vectors-helpers.js';

const CURVES = { 19: p256, 20: p384, 21: p521 } as const;
const ECP = [19, 20, 21] as const;

function expectDhError(fn: () => unknown): void {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(CryptoError);
  expect((thrown as CryptoError).code).toBe('dh-public-value');
}

/** Invalid peer values for `group`: each must be refused by computeSecret. */
function invalidValues(group: 19 | 20 | 21, good: Buffer): Array<[string, Buffer]> {
  const n = DH_GROUPS[group].secretSize;
  const p = CURVES[group].Point.CURVE().p;
  const x = good.subarray(0, n);
  const y = good.subarray(n);
  const yOff = Buffer.from(good);
  yOff[yOff.length - 1] ^= 1;
  const yPlusP = bytesToBigInt(y) + p;
  const values: Array<[string, Buffer]> = [
    ['y changed (off the curve)', yOff],
    ['(0, 0)', Buffer.alloc(2 * n)],
    ['all ones (coordinates >= p)', Buffer.alloc(2 * n, 0xff)],
    ['x = p', Buffer.concat([bigIntToBytes(p, n), y])],
    ['y = p', Buffer.concat([x, bigIntToBytes(p, n)])],
    ['x = 0, y = valid', Buffer.concat([Buffer.alloc(n), y])],
    ['one byte short', good.subarray(0, 2 * n - 1)],
    ['one byte long', Buffer.concat([good, Buffer.of(0)])],
    ['with the SEC1 0x04 prefix', Buffer.concat([Buffer.of(4), good])],
    ['empty', Buffer.alloc(0)],
    // (x, y - 1) lies on y^2 = x^3 - 3x + b' for another b': the invalid-curve attack's kind of point.
    ['point of another curve', Buffer.concat([x, bigIntToBytes((bytesToBigInt(y) + p - 1n) % p, n)])],
  ];
  // y + p fits in the field length only for P-521's spare bits; where it does, it must still be refused.
  if (yPlusP < 1n << BigInt(8 * n))
    values.push(['y + p (non-canonical)', Buffer.concat([x, bigIntToBytes(yPlusP, n)])]);
  return values;
}

describe('ECP computeSecret refuses invalid peer points on every backend (RFC 5903 s7)', () => {
  for (const be of BACKENDS) {
    it.each(ECP)(`group %i (${be})`, (group) => {
      withBackend(be, () => {
        const peer = generateDhKeyPair(group);
        const mine = generateDhKeyPair(group);
        for (const [what, value] of invalidValues(group, peer.publicValue)) {
          expect(what.length).toBeGreaterThan(0);
          expectDhError(() => mine.computeSecret(value));
        }
        // The key pair stays usable after refusing: the valid point still gives the agreed secret.
        expect(mine.computeSecret(peer.publicValue).equals(peer.computeSecret(mine.publicValue))).toBe(true);
      });
    });
  }

  it.each(ECP)(
    'group %i: the kept node key pair gives the noble secret for the same private key',
    (group) => {
      const priv = Buffer.from(CURVES[group].utils.randomSecretKey());
      const peer = generateDhKeyPair(group);
      const node = withBackend('node', () => dhKeyPairFromPrivate(group, priv));
      expect(node.publicValue.equals(backend('noble').ecpPublic(group, priv))).toBe(true);
      const s1 = node.computeSecret(peer.publicValue);
      const s2 = node.computeSecret(peer.publicValue);
      expect(s1.equals(backend('noble').ecpSecret(group, priv, peer.publicValue))).toBe(true);
      expect(s2.equals(s1)).toBe(true);
    },
  );
});

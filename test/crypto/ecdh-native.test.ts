/**
 * The native ECDH path (native/l2tpsec_ecdh.cc through the system libcrypto.so.3, dlopen'ed with
 * RTLD_DEEPBIND next to Node's own statically linked OpenSSL). Checked against RFC 5903 section 8's known
 * answers, and for random private keys against node:crypto and noble: a symbol of the system library bound
 * to Node's copy (the failure RTLD_DEEPBIND prevents) would show up here as a wrong result or a crash.
 *
 * The addon is called directly (not through nativeEcdh()), so these tests run even under
 * L2TPSEC_NATIVE_ECDH=0. Without a built addon they skip locally; under CI=true they fail instead.
 */
import { spawnSync } from 'node:child_process';
import { createECDH } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { p256, p384, p521 } from '@noble/curves/nist.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backend } from '../../src/crypto/backend.js';
import { bigIntToBytes, bytesToBigInt } from '../../src/crypto/bytes.js';
import {
  NativeEcpKeyPair,
  nativeEcdh,
  nativeEcdhDisabledByEnv,
  nativeEcdhUnavailableReason,
} from '../../src/crypto/ecdh-native.js';
import { CryptoError } from '../../src/crypto/errors.js';
import { loadNative, type NativeAddon } from '../../src/net/native.js';
import { hex, loadEcpVectors } from './vectors-helpers.js';

type Group = 19 | 20 | 21;
const ECP: readonly Group[] = [19, 20, 21];
const NOBLE = { 19: p256, 20: p384, 21: p521 } as const;
const OPENSSL_CURVE = { 19: 'prime256v1', 20: 'secp384r1', 21: 'secp521r1' } as const;
const FIELD = { 19: 32, 20: 48, 21: 66 } as const;
/** Random-key runs per group: noble's P-384/P-521 are slow, and the CPU is shared. */
const RUNS = { 19: 150, 20: 40, 21: 40 } as const;

function tryLoad(): { addon?: NativeAddon; why?: string } {
  try {
    const addon = loadNative();
    if (typeof addon.ecdhAvailable !== 'function')
      return { why: 'addon predates ecdh (node native/build.mjs)' };
    return { addon };
  } catch (err) {
    return { why: (err as Error).message };
  }
}

const { addon, why } = tryLoad();
const inCi = process.env.CI === 'true';
// Locally a missing addon skips (with the reason); under CI the addon is built, so it must be there.
const run = addon !== undefined || inCi ? describe : describe.skip;
if (!addon && !inCi) console.warn(`ecdh-native tests skipped: ${why}`);

function native(): NativeAddon {
  if (!addon) throw new Error(`native addon unavailable: ${why}`);
  return addon;
}

function order(group: Group): bigint {
  return NOBLE[group].Point.CURVE().n;
}

function prime(group: Group): bigint {
  return NOBLE[group].Point.CURVE().p;
}

function nodePublic(group: Group, key: Buffer): Buffer {
  const e = createECDH(OPENSSL_CURVE[group]);
  e.setPrivateKey(key);
  return e.getPublicKey().subarray(1);
}

function nodeSecret(group: Group, key: Buffer, peerXY: Buffer): Buffer {
  const e = createECDH(OPENSSL_CURVE[group]);
  e.setPrivateKey(key);
  return e.computeSecret(Buffer.concat([Buffer.of(4), peerXY]));
}

/** A scalar in [1, n-1] as a field-length big-endian key (fast-check biases towards the bounds). */
const scalar = (group: Group) =>
  fc.bigInt(1n, order(group) - 1n).map((k) => Buffer.from(bigIntToBytes(k, FIELD[group])));

run('native ECDH through the system libcrypto.so.3', () => {
  it('is available on this machine, and the system library is what got loaded', () => {
    expect(native().ecdhAvailable()).toBe(true);
    // /usr/bin/node links OpenSSL statically: a mapped libcrypto.so.3 can only be the addon's dlopen.
    const maps = readFileSync('/proc/self/maps', 'utf8');
    expect(maps).toMatch(/libcrypto\.so\.3/);
  });

  it('RFC 5903 section 8 known answers, groups 19, 20, 21', () => {
    const cases = loadEcpVectors();
    expect(cases.map((c) => c.group).sort()).toEqual([19, 20, 21]);
    for (const c of cases) {
      const gi = native().ecdhPublic(c.group, hex(c.i));
      const gr = native().ecdhPublic(c.group, hex(c.r));
      expect(gi.toString('hex'), c.source).toBe(c.gix + c.giy);
      expect(gr.toString('hex'), c.source).toBe(c.grx + c.gry);
      expect(native().ecdhSecret(c.group, hex(c.i), gr)?.toString('hex'), c.source).toBe(c.girx);
      expect(native().ecdhSecret(c.group, hex(c.r), gi)?.toString('hex'), c.source).toBe(c.girx);
    }
  });

  for (const group of ECP) {
    it(`group ${group}: random keys give the same public value and secret as node:crypto and noble`, () => {
      const curve = NOBLE[group];
      fc.assert(
        fc.property(scalar(group), scalar(group), (a, b) => {
          const pubA = native().ecdhPublic(group, a);
          const pubB = native().ecdhPublic(group, b);
          expect(pubA.length).toBe(2 * FIELD[group]);
          expect(pubA.equals(nodePublic(group, a))).toBe(true);
          expect(Buffer.from(curve.getPublicKey(a, false).subarray(1)).equals(pubA)).toBe(true);
          const s = native().ecdhSecret(group, a, pubB);
          expect(s?.length).toBe(FIELD[group]);
          expect(s?.equals(nodeSecret(group, b, pubA))).toBe(true);
          const nobleShared = curve.getSharedSecret(b, Buffer.concat([Buffer.of(4), pubA]), true).subarray(1);
          expect(s?.equals(Buffer.from(nobleShared))).toBe(true);
        }),
        { numRuns: RUNS[group] },
      );
    });
  }

  it('accepts a private key shorter than the field (leading zero bytes dropped) and k = 1, n-1', () => {
    for (const group of ECP) {
      const g = native().ecdhPublic(group, Buffer.of(1));
      expect(g.equals(Buffer.from(NOBLE[group].Point.BASE.toBytes(false).subarray(1)))).toBe(true);
      const nMinus1 = Buffer.from(bigIntToBytes(order(group) - 1n, FIELD[group]));
      const minusG = native().ecdhPublic(group, nMinus1);
      // -G = (Gx, p - Gy)
      expect(minusG.subarray(0, FIELD[group]).equals(g.subarray(0, FIELD[group]))).toBe(true);
      expect(bytesToBigInt(minusG.subarray(FIELD[group]))).toBe(
        prime(group) - bytesToBigInt(g.subarray(FIELD[group])),
      );
      expect(
        native()
          .ecdhSecret(group, Buffer.of(7), g)
          ?.equals(native().ecdhPublic(group, Buffer.of(7)).subarray(0, FIELD[group])),
      ).toBe(true);
    }
  });

  for (const group of ECP) {
    it(`group ${group}: the native code itself refuses every invalid peer value (RFC 5903 s7)`, () => {
      const n = FIELD[group];
      const p = prime(group);
      const key = Buffer.of(5);
      const good = native().ecdhPublic(group, Buffer.of(9));
      const x = good.subarray(0, n);
      const y = good.subarray(n);
      const yOff = Buffer.from(good);
      yOff[yOff.length - 1] ^= 1;
      const invalid: Array<[string, Buffer]> = [
        ['y changed (off the curve)', yOff],
        ['(0, 0)', Buffer.alloc(2 * n)],
        ['all ones (coordinates >= p)', Buffer.alloc(2 * n, 0xff)],
        ['x = p', Buffer.concat([bigIntToBytes(p, n), y])],
        ['y = p', Buffer.concat([x, bigIntToBytes(p, n)])],
        [
          'point of another curve (x, y - 1)',
          Buffer.concat([x, bigIntToBytes((bytesToBigInt(y) + p - 1n) % p, n)]),
        ],
        ['one byte short', good.subarray(0, 2 * n - 1)],
        ['one byte long', Buffer.concat([good, Buffer.of(0)])],
        ['with the SEC1 0x04 prefix', Buffer.concat([Buffer.of(4), good])],
        ['empty', Buffer.alloc(0)],
      ];
      // y + p fits in the field length only for P-521's spare bits; there it must be refused too.
      const yPlusP = bytesToBigInt(y) + p;
      if (yPlusP < 1n << BigInt(8 * n))
        invalid.push(['y + p (non-canonical)', Buffer.concat([x, bigIntToBytes(yPlusP, n)])]);
      for (const [label, value] of invalid) {
        expect(native().ecdhSecret(group, key, value), label).toBeUndefined();
      }
      // After every refusal the valid point still works (no state left behind by the failures).
      expect(
        native()
          .ecdhSecret(group, key, good)
          ?.equals(nodeSecret(group, key, good)),
      ).toBe(true);
    });
  }

  it('throws (never computes) for a private key outside [1, n-1], a bad length or an unknown group', () => {
    for (const group of ECP) {
      const n = Buffer.from(bigIntToBytes(order(group), FIELD[group]));
      expect(() => native().ecdhPublic(group, Buffer.alloc(FIELD[group])), `${group} zero`).toThrow(
        RangeError,
      );
      expect(() => native().ecdhPublic(group, n), `${group} n`).toThrow(RangeError);
      expect(() => native().ecdhPublic(group, Buffer.alloc(0)), `${group} empty`).toThrow(RangeError);
      expect(() => native().ecdhPublic(group, Buffer.alloc(FIELD[group] + 1, 1)), `${group} long`).toThrow(
        RangeError,
      );
      const g = native().ecdhPublic(group, Buffer.of(2));
      expect(() => native().ecdhSecret(group, n, g)).toThrow(RangeError);
    }
    expect(() => native().ecdhPublic(14 as Group, Buffer.of(1))).toThrow(RangeError);
  });

  // The fallback case for real: the library hidden behind /dev/null in a private mount namespace (it
  // vanishes with the child process). Needs root for unshare; CI runs as root, so there it always runs.
  it.skipIf(process.getuid?.() !== 0 && !inCi)(
    'without libcrypto.so.3, ecdhAvailable() is false and the calls throw (no crash, no throw at load)',
    () => {
      expect(native().ecdhAvailable()).toBe(true);
      const lib = readFileSync('/proc/self/maps', 'utf8')
        .split('\n')
        .map((line) => line.split(/\s+/)[5])
        .find((path) => path?.endsWith('/libcrypto.so.3'));
      expect(lib).toBeDefined();
      const addonPath = fileURLToPath(new URL('../../build/Release/l2tpsec_net.node', import.meta.url));
      const script = [
        `const a = require(${JSON.stringify(addonPath)});`,
        'const out = { available: a.ecdhAvailable() };',
        'try { a.ecdhPublic(19, Buffer.of(1)); out.threw = false; } catch (e) { out.threw = e.message; }',
        'console.log(JSON.stringify(out));',
      ].join(' ');
      const r = spawnSync(
        'unshare',
        [
          '--mount',
          '--propagation',
          'private',
          'sh',
          '-c',
          `mount --bind /dev/null "$1" && exec "$2" -e "$3"`,
          'sh',
          lib ?? '',
          process.execPath,
          script,
        ],
        { encoding: 'utf8', timeout: 30_000 },
      );
      expect(r.status, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({
        available: false,
        threw: 'ecdh: system libcrypto.so.3 is not available',
      });
    },
  );

  it('nativeEcdh() and the node backend use it unless L2TPSEC_NATIVE_ECDH=0', () => {
    const n = nativeEcdh();
    const key = Buffer.from(bigIntToBytes(123456789n, 32));
    if (nativeEcdhDisabledByEnv()) {
      expect(n).toBeUndefined();
      expect(nativeEcdhUnavailableReason()).toMatch(/L2TPSEC_NATIVE_ECDH/);
      expect(backend('node').ecpKeyPair(19, key)).not.toBeInstanceOf(NativeEcpKeyPair);
      return;
    }
    expect(n, nativeEcdhUnavailableReason()).toBeDefined();
    const pair = backend('node').ecpKeyPair(19, key);
    expect(pair).toBeInstanceOf(NativeEcpKeyPair);
    expect(pair.checksPeerPoint).toBe(true);
    expect(pair.publicValue.equals(nodePublic(19, key))).toBe(true);
    const bad = Buffer.from(pair.publicValue);
    bad[bad.length - 1] ^= 1;
    let thrown: unknown;
    try {
      pair.secret(bad);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(CryptoError);
    expect((thrown as CryptoError).code).toBe('dh-public-value');
    expect(() => backend('node').ecpSecret(19, key, bad)).toThrow(CryptoError);
  });
});

describe('L2TPSEC_NATIVE_ECDH', () => {
  it('"0", "false", "off", "no" disable the native path; unset or anything else leaves it on', () => {
    for (const v of ['0', 'false', 'OFF', ' no '])
      expect(nativeEcdhDisabledByEnv({ L2TPSEC_NATIVE_ECDH: v })).toBe(true);
    for (const v of [undefined, '1', 'true', ''])
      expect(nativeEcdhDisabledByEnv({ L2TPSEC_NATIVE_ECDH: v })).toBe(false);
  });
});

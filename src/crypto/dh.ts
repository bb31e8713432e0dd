/**
 * Diffie-Hellman for IKEv1's KE payload: MODP groups (RFC 2409 section 6, RFC 3526) and ECP groups
 * (RFC 5903). Every key pair has its own fresh private key; the peer's public value is validated before use
 * so a hostile value (0, 1, p-1, out of range, off the curve) fails with CryptoError('dh-public-value')
 * instead of forcing a predictable shared secret.
 */
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { type Rng, systemRng } from '../util/clock.js';
import { activeBackend, type EcpGroupId, type EcpKeyPair } from './backend.js';
import { bigIntToBytes, bytesToBigInt, leftPad } from './bytes.js';
import { CryptoError } from './errors.js';
import { isModpGroup, MODP_EXPONENT_BITS, type ModpGroupId, modpPrime } from './modp-groups.js';
import { DH_GROUPS, type DhGroupId, type DhGroupSpec } from './registry.js';

export interface DhKeyPair {
  readonly group: DhGroupSpec;
  /** The KE payload data: g^x padded to the prime length (MODP), or x ‖ y (ECP, RFC 5903 section 7). */
  readonly publicValue: Buffer;
  /**
   * Validates the peer's KE data and returns g^xy: left-padded to the prime length for MODP (RFC 2409
   * uses it as a fixed-length value in SKEYID), the x coordinate for ECP (RFC 5903 section 9).
   */
  computeSecret(peerPublic: Uint8Array): Buffer;
}

const CURVES = { 19: p256, 20: p384, 21: p521 } as const;

function groupSpec(id: DhGroupId): DhGroupSpec {
  const g = DH_GROUPS[id];
  if (!g) throw new CryptoError('unsupported', `unknown Diffie-Hellman group ${id}`);
  return g;
}

/** A private key for the group: a random exponent (RFC 3526 section 8 sizes) or a scalar in [1, n-1]. */
export function generateDhPrivateKey(group: DhGroupId, rng: Rng = systemRng): Buffer {
  const spec = groupSpec(group);
  if (spec.kind === 'modp') {
    for (;;) {
      const x = rng(MODP_EXPONENT_BITS[group as ModpGroupId] / 8);
      if (x.some((b) => b !== 0)) return x;
    }
  }
  const len = spec.secretSize;
  const n = groupOrderBytes(group as EcpGroupId, len);
  const excessBits = len * 8 - spec.bits;
  // Rejection sampling keeps the scalar uniform; for P-521 the top byte carries a single bit.
  for (;;) {
    const x = rng(len);
    x[0] &= 0xff >> excessBits;
    if (inScalarRange(x, n)) return x;
  }
}

const orderBytes = new Map<EcpGroupId, Buffer>();

/** The curve order n, big-endian in `len` bytes (cached: every key pair checks against it). */
function groupOrderBytes(group: EcpGroupId, len: number): Buffer {
  let n = orderBytes.get(group);
  if (n === undefined) {
    n = bigIntToBytes(CURVES[group].Point.CURVE().n, len);
    orderBytes.set(group, n);
  }
  return n;
}

/** 0 < x < n for equal-length big-endian byte strings, without a bigint per key. */
function inScalarRange(x: Uint8Array, n: Uint8Array): boolean {
  let less = false;
  for (let i = 0; i < x.length; i++) {
    if (x[i] !== n[i]) {
      less = x[i] < n[i];
      break;
    }
  }
  if (!less) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== 0) return true;
  return false;
}

/**
 * Checks a peer's KE data. MODP: exactly the prime length and 1 < y < p-1 (0, 1 and p-1 lie in the
 * trivial subgroups; RFC 2409's and RFC 3526's primes are safe primes, so nothing else is small).
 * ECP: exactly 2 × the field length, both coordinates below p, and the point on the curve (RFC 5903
 * section 7; a point off the curve leaks the private key through invalid-curve attacks).
 */
export function validateDhPublic(group: DhGroupSpec, value: Uint8Array): void {
  checkDhPublicLength(group, value);
  if (group.kind === 'modp') {
    checkModpRange(group, value);
    return;
  }
  const curve = CURVES[group.id as EcpGroupId];
  try {
    // fromBytes checks the coordinates are field elements and that y^2 = x^3 + ax + b.
    curve.Point.fromBytes(Buffer.concat([Buffer.of(4), value])).assertValidity();
  } catch (err) {
    throw new CryptoError(
      'dh-public-value',
      `group ${group.id} public value is not a point on the curve (${(err as Error).message})`,
    );
  }
}

function checkDhPublicLength(group: DhGroupSpec, value: Uint8Array): void {
  if (value.length !== group.publicSize) {
    throw new CryptoError(
      'dh-public-value',
      `group ${group.id} public value must be ${group.publicSize} bytes, got ${value.length}`,
    );
  }
}

function checkModpRange(group: DhGroupSpec, value: Uint8Array): void {
  const p = modpPrime(group.id as ModpGroupId).value;
  const y = bytesToBigInt(value);
  if (y <= 1n || y >= p - 1n) {
    throw new CryptoError(
      'dh-public-value',
      `group ${group.id} public value out of range (0, 1, p-1 or >= p)`,
    );
  }
}

class ModpKeyPair implements DhKeyPair {
  readonly publicValue: Buffer;

  constructor(
    readonly group: DhGroupSpec,
    private readonly privateKey: Buffer,
  ) {
    this.publicValue = activeBackend().modpPublic(group.id as ModpGroupId, privateKey);
  }

  computeSecret(peerPublic: Uint8Array): Buffer {
    validateDhPublic(this.group, peerPublic);
    const secret = activeBackend().modpSecret(this.group.id as ModpGroupId, this.privateKey, peerPublic);
    return leftPad(secret, this.group.secretSize);
  }
}

/**
 * ECP: the backend's key pair is created once with the private key and kept (the node backend holds its
 * OpenSSL object). The peer point is fully validated either way: by the backend when it says it checks the
 * point itself (OpenSSL decoding the point), otherwise by validateDhPublic (noble).
 */
class EcpKeyPairImpl implements DhKeyPair {
  readonly publicValue: Buffer;
  private readonly pair: EcpKeyPair;

  constructor(
    readonly group: DhGroupSpec,
    privateKey: Buffer,
  ) {
    this.pair = activeBackend().ecpKeyPair(group.id as EcpGroupId, privateKey);
    this.publicValue = this.pair.publicValue;
  }

  computeSecret(peerPublic: Uint8Array): Buffer {
    if (this.pair.checksPeerPoint) checkDhPublicLength(this.group, peerPublic);
    else validateDhPublic(this.group, peerPublic);
    return leftPad(this.pair.secret(peerPublic), this.group.secretSize);
  }
}

function keyPair(spec: DhGroupSpec, privateKey: Buffer): DhKeyPair {
  return isModpGroup(spec.id) ? new ModpKeyPair(spec, privateKey) : new EcpKeyPairImpl(spec, privateKey);
}

/** A fresh key pair for `group` (IKEv1 Group Description value), private key drawn from `rng`. */
export function generateDhKeyPair(group: DhGroupId, rng: Rng = systemRng): DhKeyPair {
  return keyPair(groupSpec(group), generateDhPrivateKey(group, rng));
}

/** A key pair from a given private key (published vectors; deterministic tests). */
export function dhKeyPairFromPrivate(group: DhGroupId, privateKey: Uint8Array): DhKeyPair {
  const spec = groupSpec(group);
  const len = spec.kind === 'ecp' ? spec.secretSize : privateKey.length;
  if (privateKey.length === 0 || privateKey.length > len || privateKey.length > spec.publicSize) {
    throw new CryptoError('key-length', `group ${group} private key of ${privateKey.length} bytes`);
  }
  const x = bytesToBigInt(privateKey);
  const limit =
    spec.kind === 'ecp' ? CURVES[group as EcpGroupId].Point.CURVE().n : modpPrime(group as ModpGroupId).value;
  if (x === 0n || x >= limit) {
    throw new CryptoError('key-length', `group ${group} private key out of range`);
  }
  return keyPair(spec, leftPad(privateKey, len));
}

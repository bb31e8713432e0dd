/**
 * The node:crypto backend (OpenSSL 3): the default, and the only one fast enough for the ESP data path.
 */
import {
  type CipherGCMTypes,
  createCipheriv,
  createDecipheriv,
  createDiffieHellman,
  createECDH,
  type DiffieHellman,
  type ECDH,
  hash as oneShotHash,
} from 'node:crypto';
import type { CryptoBackend, EcpGroupId, EcpKeyPair } from './backend.js';
import { leftPad } from './bytes.js';
import { type CbcCipher, checkCbcArgs, checkGcmArgs } from './checks.js';
import { NativeEcpKeyPair, nativeEcdh, nativeEcpSecret } from './ecdh-native.js';
import { CryptoError } from './errors.js';
import { MODP_GENERATOR, type ModpGroupId, modpPrime } from './modp-groups.js';
import { HASHES, type HashName } from './registry.js';

function cbcName(cipher: CbcCipher, keyLength: number): string {
  return cipher === '3des-cbc' ? 'des-ede3-cbc' : `aes-${keyLength * 8}-cbc`;
}

const GCM_TAG = 16;

function gcmName(keyLength: number): CipherGCMTypes {
  return keyLength === 16 ? 'aes-128-gcm' : keyLength === 24 ? 'aes-192-gcm' : 'aes-256-gcm';
}

/** OpenSSL curve names for the RFC 5903 groups. */
const CURVES: Readonly<Record<EcpGroupId, string>> = { 19: 'prime256v1', 20: 'secp384r1', 21: 'secp521r1' };

/**
 * Creating a DH object costs tens of milliseconds (OpenSSL checks the prime), so one per group is kept.
 * Every use sets the caller's private key first: a cached object must never carry a key from one exchange
 * into the next (the DiffieHellmanGroup objects of getDiffieHellman cannot even take one, hence this).
 */
const modpObjects = new Map<ModpGroupId, DiffieHellman>();

function modpObject(group: ModpGroupId): DiffieHellman {
  let dh = modpObjects.get(group);
  if (!dh) {
    dh = createDiffieHellman(modpPrime(group).bytes, MODP_GENERATOR);
    modpObjects.set(group, dh);
  }
  return dh;
}

/**
 * One scratch buffer for laying out a hash input: the functions below are synchronous and `crypto.hash`
 * copies its input before returning, so a single module-level buffer serves every call. Inputs larger than
 * it (none in IKE: messages are under 1 KiB) get their own allocation.
 */
const SCRATCH_BYTES = 4096;
const scratch = Buffer.allocUnsafe(SCRATCH_BYTES);
/** (K xor opad) ‖ inner digest, for the largest block + digest (SHA-512: 128 + 64). */
const outerBlock = Buffer.allocUnsafe(128 + 64);

function layout(total: number): Buffer {
  return total <= SCRATCH_BYTES ? scratch.subarray(0, total) : Buffer.allocUnsafe(total);
}

/** Copies `parts` one after another into `into` from `offset`. */
function placeParts(into: Buffer, offset: number, parts: readonly Uint8Array[]): void {
  let off = offset;
  for (const p of parts) {
    into.set(p, off);
    off += p.length;
  }
}

function partsLength(parts: readonly Uint8Array[]): number {
  let n = 0;
  for (const p of parts) n += p.length;
  return n;
}

/**
 * `crypto.hash` (Node >= 20.12) digests in one native call with no Hash object; measured cheaper than
 * createHash/createHmac for IKE's short inputs, which are all this backend's hash and hmac see besides
 * the ESP path (that one has its own keyed form, src/esp/icv-hmac.ts).
 */
function digest(alg: HashName, parts: readonly Uint8Array[]): Buffer {
  if (parts.length === 1) return digestBuffer(alg, parts[0]);
  const input = layout(partsLength(parts));
  placeParts(input, 0, parts);
  return digestBuffer(alg, input);
}

/**
 * One digest as a Buffer. Node 20's `crypto.hash(…, 'buffer')` measured about 1.2 µs against 0.75 µs for
 * the same digest taken as a latin1 string and turned into a Buffer (one byte per character, so exact).
 */
function digestBuffer(alg: HashName, input: Uint8Array): Buffer {
  return Buffer.from(oneShotHash(alg, input, 'binary'), 'latin1');
}

/**
 * HMAC exactly as RFC 2104 section 2 defines it, with two one-shot digests:
 *   H((K xor opad) ‖ H((K xor ipad) ‖ text)),
 * K being the key zero-padded to the hash block (or first hashed when longer than a block).
 * The padded key blocks are wiped from the shared buffers afterwards.
 */
function hmacOneShot(alg: HashName, key: Uint8Array, parts: readonly Uint8Array[]): Buffer {
  const spec = HASHES[alg];
  const bs = spec.blockSize;
  const k = key.length > bs ? digestBuffer(alg, key) : key;
  const inner = layout(bs + partsLength(parts));
  const outer = outerBlock.subarray(0, bs + spec.size);
  // Plain loops over one block: cheaper than Buffer.fill's wrapper for 64 or 128 bytes.
  for (let i = 0; i < bs; i++) {
    const ki = i < k.length ? k[i] : 0;
    inner[i] = 0x36 ^ ki;
    outer[i] = 0x5c ^ ki;
  }
  placeParts(inner, bs, parts);
  // The inner digest travels as a latin1 string: a short string is cheaper than a Buffer (icv-hmac.ts).
  outer.write(oneShotHash(alg, inner, 'binary'), bs, 'binary');
  const mac = digestBuffer(alg, outer);
  for (let i = 0; i < bs; i++) {
    inner[i] = 0;
    outer[i] = 0;
  }
  return mac;
}

/**
 * An ECP key pair that keeps its OpenSSL ECDH object: setting the private key derives the public point
 * once, and the shared secret reuses the same object instead of rebuilding it (which cost a second
 * fixed-base multiplication and a curve setup per secret).
 */
class NodeEcpKeyPair implements EcpKeyPair {
  readonly checksPeerPoint = true;
  readonly publicValue: Buffer;
  private readonly ecdh: ECDH;

  constructor(
    private readonly group: EcpGroupId,
    privateKey: Uint8Array,
  ) {
    this.ecdh = createECDH(CURVES[group]);
    this.ecdh.setPrivateKey(privateKey);
    // Uncompressed SEC1 point 0x04 ‖ x ‖ y; IKE carries x ‖ y (RFC 5903 section 7).
    this.publicValue = this.ecdh.getPublicKey().subarray(1);
  }

  secret(peerPublic: Uint8Array): Buffer {
    const point = layout(1 + peerPublic.length);
    point[0] = 4;
    point.set(peerPublic, 1);
    try {
      // OpenSSL decodes the point with EC_POINT_oct2point, which refuses coordinates >= p and any point
      // not on the curve (EC_POINT_set_affine_coordinates checks y^2 = x^3 + ax + b), so an invalid-curve
      // point never reaches the multiplication (RFC 5903 section 7; test/crypto/dh-openssl-check.test.ts).
      return this.ecdh.computeSecret(point);
    } catch (err) {
      throw new CryptoError(
        'dh-public-value',
        `group ${this.group} public value is not a point on the curve (${(err as Error).message})`,
      );
    }
  }
}

export const nodeBackend: CryptoBackend = {
  name: 'node',

  hash: digest,

  hmac: hmacOneShot,

  cbcEncrypt(cipher, key, iv, data) {
    checkCbcArgs(cipher, key, iv, data);
    const c = createCipheriv(cbcName(cipher, key.length), key, iv);
    c.setAutoPadding(false);
    const head = c.update(data);
    // Without padding, whole blocks in give every block out of update(); final() would only add a native
    // call and an empty buffer (the input is a block multiple: checkCbcArgs).
    return head.length === data.length ? head : Buffer.concat([head, c.final()]);
  },

  cbcDecrypt(cipher, key, iv, data) {
    checkCbcArgs(cipher, key, iv, data);
    const d = createDecipheriv(cbcName(cipher, key.length), key, iv);
    d.setAutoPadding(false);
    // With padding off OpenSSL holds no block back, so update() returns them all (as for encryption).
    const head = d.update(data);
    return head.length === data.length ? head : Buffer.concat([head, d.final()]);
  },

  gcmSeal(key, nonce, aad, plaintext) {
    checkGcmArgs(key, nonce);
    const c = createCipheriv(gcmName(key.length), key, nonce, { authTagLength: GCM_TAG });
    c.setAAD(aad);
    const out = Buffer.allocUnsafe(plaintext.length + GCM_TAG);
    const n = c.update(plaintext).copy(out, 0);
    c.final();
    c.getAuthTag().copy(out, n);
    return out;
  },

  gcmOpen(key, nonce, aad, sealed) {
    checkGcmArgs(key, nonce);
    if (sealed.length < GCM_TAG) return undefined;
    const d = createDecipheriv(gcmName(key.length), key, nonce, { authTagLength: GCM_TAG });
    d.setAAD(aad);
    d.setAuthTag(sealed.subarray(sealed.length - GCM_TAG));
    const pt = d.update(sealed.subarray(0, sealed.length - GCM_TAG));
    try {
      d.final();
    } catch {
      return undefined;
    }
    return pt;
  },

  modpPublic(group, privateKey) {
    const dh = modpObject(group);
    dh.setPrivateKey(privateKey);
    // With a private key set, generateKeys() only derives the public value g^x from it.
    dh.generateKeys();
    return leftPad(dh.getPublicKey(), modpPrime(group).bytes.length);
  },

  modpSecret(group, privateKey, peerPublic) {
    const dh = modpObject(group);
    dh.setPrivateKey(privateKey);
    return leftPad(dh.computeSecret(peerPublic), modpPrime(group).bytes.length);
  },

  // ECP goes through the system libcrypto when the native addon offers it (ecdh-native.ts: 2-3x faster than
  // Node's bundled OpenSSL here), node:crypto otherwise; L2TPSEC_NATIVE_ECDH=0 forces node:crypto.
  ecpPublic(group, privateKey) {
    const native = nativeEcdh();
    if (native) return native.publicValue(group, privateKey);
    const ecdh = createECDH(CURVES[group]);
    ecdh.setPrivateKey(privateKey);
    // Uncompressed SEC1 point 0x04 ‖ x ‖ y; IKE carries x ‖ y (RFC 5903 section 7).
    return ecdh.getPublicKey().subarray(1);
  },

  ecpSecret(group, privateKey, peerPublic) {
    const native = nativeEcdh();
    if (native) return nativeEcpSecret(native, group, privateKey, peerPublic);
    const ecdh = createECDH(CURVES[group]);
    ecdh.setPrivateKey(privateKey);
    return ecdh.computeSecret(Buffer.concat([Buffer.of(4), peerPublic]));
  },

  ecpKeyPair(group, privateKey) {
    const native = nativeEcdh();
    return native ? new NativeEcpKeyPair(native, group, privateKey) : new NodeEcpKeyPair(group, privateKey);
  },
};

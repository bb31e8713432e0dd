/**
 * The node:crypto backend (OpenSSL 3): the default, and the only one fast enough for the ESP data path.
 */
import {
  type CipherGCMTypes,
  createCipheriv,
  createDecipheriv,
  createDiffieHellman,
  createECDH,
  createHash,
  createHmac,
  type DiffieHellman,
} from 'node:crypto';
import type { CryptoBackend, EcpGroupId } from './backend.js';
import { leftPad } from './bytes.js';
import { type CbcCipher, checkCbcArgs, checkGcmArgs } from './checks.js';
import { MODP_GENERATOR, type ModpGroupId, modpPrime } from './modp-groups.js';

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

export const nodeBackend: CryptoBackend = {
  name: 'node',

  hash(alg, parts) {
    const h = createHash(alg);
    for (const p of parts) h.update(p);
    return h.digest();
  },

  hmac(alg, key, parts) {
    const h = createHmac(alg, key);
    for (const p of parts) h.update(p);
    return h.digest();
  },

  cbcEncrypt(cipher, key, iv, data) {
    checkCbcArgs(cipher, key, iv, data);
    const c = createCipheriv(cbcName(cipher, key.length), key, iv);
    c.setAutoPadding(false);
    const head = c.update(data);
    const tail = c.final();
    return tail.length === 0 ? head : Buffer.concat([head, tail]);
  },

  cbcDecrypt(cipher, key, iv, data) {
    checkCbcArgs(cipher, key, iv, data);
    const d = createDecipheriv(cbcName(cipher, key.length), key, iv);
    d.setAutoPadding(false);
    const head = d.update(data);
    const tail = d.final();
    return tail.length === 0 ? head : Buffer.concat([head, tail]);
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

  ecpPublic(group, privateKey) {
    const ecdh = createECDH(CURVES[group]);
    ecdh.setPrivateKey(privateKey);
    // Uncompressed SEC1 point 0x04 ‖ x ‖ y; IKE carries x ‖ y (RFC 5903 section 7).
    return ecdh.getPublicKey().subarray(1);
  },

  ecpSecret(group, privateKey, peerPublic) {
    const ecdh = createECDH(CURVES[group]);
    ecdh.setPrivateKey(privateKey);
    return ecdh.computeSecret(Buffer.concat([Buffer.of(4), peerPublic]));
  },
};

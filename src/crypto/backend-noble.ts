/**
 * The noble backend: audited pure-JS implementations (@noble/hashes, @noble/ciphers, @noble/curves), with
 * DES (des-core.ts) and MODP exponentiation (bigint) written here because noble has neither. It shares no
 * code with OpenSSL, which is the point: it is the independent second opinion for the property tests.
 */
import { cbc, gcm } from '@noble/ciphers/aes.js';
import { pow } from '@noble/curves/abstract/modular.js';
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { hmac as nobleHmac } from '@noble/hashes/hmac.js';
import { md5, sha1 } from '@noble/hashes/legacy.js';
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import type { CryptoBackend, EcpGroupId } from './backend.js';
import { bigIntToBytes, bytesToBigInt } from './bytes.js';
import { type CbcCipher, checkCbcArgs, checkGcmArgs, toBuffer } from './checks.js';
import { desBlock, desKeySchedule } from './des-core.js';
import { MODP_GENERATOR, type ModpGroupId, modpPrime } from './modp-groups.js';
import type { HashName } from './registry.js';

const HASHES = { md5, sha1, sha256, sha384, sha512 } as const;

const CURVES = { 19: p256, 20: p384, 21: p521 } as const;

function hashOf(alg: HashName) {
  return HASHES[alg];
}

/** 3DES-EDE-CBC (RFC 2451 section 2.2: encrypt K1, decrypt K2, encrypt K3) over des-core. */
function tdesCbc(key: Uint8Array, iv: Uint8Array, data: Uint8Array, decrypt: boolean): Buffer {
  const k1 = desKeySchedule(key.subarray(0, 8));
  const k2 = desKeySchedule(key.subarray(8, 16));
  const k3 = desKeySchedule(key.subarray(16, 24));
  const out = Buffer.alloc(data.length);
  const chain = Uint8Array.from(iv);
  const t = new Uint8Array(8);
  for (let off = 0; off < data.length; off += 8) {
    if (!decrypt) {
      for (let i = 0; i < 8; i++) t[i] = data[off + i] ^ chain[i];
      desBlock(k1, false, t, 0, t, 0);
      desBlock(k2, true, t, 0, t, 0);
      desBlock(k3, false, t, 0, out, off);
      chain.set(out.subarray(off, off + 8));
    } else {
      desBlock(k3, true, data, off, t, 0);
      desBlock(k2, false, t, 0, t, 0);
      desBlock(k1, true, t, 0, t, 0);
      for (let i = 0; i < 8; i++) out[off + i] = t[i] ^ chain[i];
      chain.set(data.subarray(off, off + 8));
    }
  }
  return out;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  return parts.length === 1 ? parts[0] : Buffer.concat(parts);
}

export const nobleBackend: CryptoBackend = {
  name: 'noble',

  hash(alg, parts) {
    const h = hashOf(alg).create();
    for (const p of parts) h.update(p);
    return toBuffer(h.digest());
  },

  hmac(alg, key, parts) {
    return toBuffer(nobleHmac(hashOf(alg), key, concat(parts)));
  },

  cbcEncrypt(cipher: CbcCipher, key, iv, data) {
    checkCbcArgs(cipher, key, iv, data);
    if (cipher === '3des-cbc') return tdesCbc(key, iv, data, false);
    return toBuffer(cbc(key, iv, { disablePadding: true }).encrypt(data));
  },

  cbcDecrypt(cipher: CbcCipher, key, iv, data) {
    checkCbcArgs(cipher, key, iv, data);
    if (cipher === '3des-cbc') return tdesCbc(key, iv, data, true);
    return toBuffer(cbc(key, iv, { disablePadding: true }).decrypt(data));
  },

  gcmSeal(key, nonce, aad, plaintext) {
    checkGcmArgs(key, nonce);
    return toBuffer(gcm(key, nonce, aad).encrypt(plaintext));
  },

  gcmOpen(key, nonce, aad, sealed) {
    checkGcmArgs(key, nonce);
    if (sealed.length < 16) return undefined;
    try {
      return toBuffer(gcm(key, nonce, aad).decrypt(sealed));
    } catch {
      return undefined;
    }
  },

  modpPublic(group: ModpGroupId, privateKey) {
    const p = modpPrime(group);
    return bigIntToBytes(pow(BigInt(MODP_GENERATOR), bytesToBigInt(privateKey), p.value), p.bytes.length);
  },

  modpSecret(group: ModpGroupId, privateKey, peerPublic) {
    const p = modpPrime(group);
    return bigIntToBytes(pow(bytesToBigInt(peerPublic), bytesToBigInt(privateKey), p.value), p.bytes.length);
  },

  ecpPublic(group: EcpGroupId, privateKey) {
    return toBuffer(CURVES[group].getPublicKey(privateKey, false).subarray(1));
  },

  ecpSecret(group: EcpGroupId, privateKey, peerPublic) {
    const point = Buffer.concat([Buffer.of(4), peerPublic]);
    // Compressed form is 0x02/0x03 ‖ x: the x coordinate is what RFC 5903 section 9 keeps.
    return toBuffer(CURVES[group].getSharedSecret(privateKey, point, true).subarray(1));
  },

  ecpKeyPair(group: EcpGroupId, privateKey) {
    const key = Uint8Array.from(privateKey);
    return {
      publicValue: nobleBackend.ecpPublic(group, key),
      // dh.ts validates the point with noble before calling (fromBytes + assertValidity).
      checksPeerPoint: false,
      secret: (peerPublic: Uint8Array) => nobleBackend.ecpSecret(group, key, peerPublic),
    };
  },
};

/**
 * Every published vector in vectors/crypto-*.json and vectors/rfc3602-aes-cbc.json, run through each
 * backend that implements the primitive.
 */
import { describe, expect, it } from 'vitest';
import { cbcDecrypt, cbcEncrypt } from '../../src/crypto/cbc.js';
import { desEncryptBlock7, desEncryptBlock8 } from '../../src/crypto/des.js';
import { desBlock, desKeySchedule } from '../../src/crypto/des-core.js';
import { dhKeyPairFromPrivate } from '../../src/crypto/dh.js';
import { gcmOpen, gcmSeal } from '../../src/crypto/gcm.js';
import { hmac } from '../../src/crypto/hash.js';
import {
  deriveSkeyids,
  keymat,
  phase1EncryptionKey,
  skeyidPsk,
  skeyidSig,
} from '../../src/crypto/ikev1-kdf.js';
import { md4 } from '../../src/crypto/md4.js';
import { mppeAsymmetricStartKey, mppeMasterKey } from '../../src/crypto/mppe.js';
import {
  challengeHash,
  challengeResponse,
  generateAuthenticatorResponse,
  generateNtResponse,
  hashNtPasswordHash,
  ntPasswordHash,
} from '../../src/crypto/mschapv2.js';
import type { HashName } from '../../src/crypto/registry.js';
import { BACKENDS, hex, loadEcpVectors, loadVectors, withBackend } from './vectors-helpers.js';

interface CbcCase {
  case: number;
  key: string;
  iv: string;
  plaintext: string;
  ciphertext: string;
  spi?: number;
  seq?: number;
  nextHeader?: number;
  payload?: string;
  padLength?: number;
  espPacket?: string;
  ipHeader?: string;
  ipPacket?: string;
}

describe.each(BACKENDS)('published vectors on the %s backend', (be) => {
  it('RFC 3602 section 4 cases 1-8 (AES-128-CBC, raw and whole ESP packets)', () => {
    const { cases } = loadVectors<{ cases: CbcCase[] }>('rfc3602-aes-cbc.json');
    expect(cases.map((c) => c.case)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    withBackend(be, () => {
      for (const c of cases) {
        const ct = cbcEncrypt('aes-cbc', hex(c.key), hex(c.iv), hex(c.plaintext));
        expect(ct.toString('hex'), `case ${c.case}`).toBe(c.ciphertext);
        expect(cbcDecrypt('aes-cbc', hex(c.key), hex(c.iv), ct).toString('hex')).toBe(c.plaintext);
        if (c.espPacket === undefined) continue;
        // RFC 4303 section 2: SPI | sequence number | IV | ciphertext (these SAs carry no ICV).
        const pkt = hex(c.espPacket);
        expect(pkt.readUInt32BE(0)).toBe(c.spi);
        expect(pkt.readUInt32BE(4)).toBe(c.seq);
        expect(pkt.subarray(8, 24).toString('hex')).toBe(c.iv);
        const pt = cbcDecrypt('aes-cbc', hex(c.key), pkt.subarray(8, 24), pkt.subarray(24));
        // RFC 4303 section 2.4: payload, then the default padding 1, 2, 3, ..., pad length, next header.
        const padLen = pt[pt.length - 2];
        expect(padLen).toBe(c.padLength);
        expect(pt[pt.length - 1]).toBe(c.nextHeader);
        const payloadLen = pt.length - 2 - padLen;
        expect(pt.subarray(0, payloadLen).toString('hex')).toBe(c.payload);
        for (let i = 0; i < padLen; i++) expect(pt[payloadLen + i]).toBe(i + 1);
        if (c.ipPacket !== undefined && c.ipHeader !== undefined) {
          const ip = hex(c.ipPacket);
          expect(ip.readUInt16BE(2)).toBe(ip.length); // IPv4 total length
          expect(ip[9]).toBe(50); // protocol ESP
          expect(ip.subarray(20).equals(pkt)).toBe(true);
        }
      }
    });
  });

  it('HMAC: RFC 2202, RFC 4231, RFC 4868 section 2.7', () => {
    const { cases } = loadVectors<{
      cases: {
        source: string;
        hash: HashName;
        key: string;
        data: string;
        mac: string;
        truncatedTo?: number;
      }[];
    }>('crypto-hmac.json');
    expect(cases.length).toBeGreaterThanOrEqual(14 + 21 + 15);
    withBackend(be, () => {
      for (const c of cases) {
        const mac = hmac(c.hash, hex(c.key), hex(c.data));
        const got = c.truncatedTo ? mac.subarray(0, c.truncatedTo) : mac;
        expect(got.toString('hex'), c.source).toBe(c.mac);
      }
    });
  });

  it('3DES: NIST SP 800-20 table A.1 (ECB as CBC with a zero IV) and TDES MMT (CBC)', () => {
    const v = loadVectors<{
      ecb: { source: string; key: string; plaintext: string; ciphertext: string }[];
      cbc: { source: string; key: string; iv: string; plaintext: string; ciphertext: string }[];
      des: { source: string; key: string; plaintext: string; ciphertext: string }[];
    }>('crypto-tdes.json');
    expect(v.ecb).toHaveLength(64);
    withBackend(be, () => {
      const zero = Buffer.alloc(8);
      for (const c of v.ecb) {
        expect(cbcEncrypt('3des-cbc', hex(c.key), zero, hex(c.plaintext)).toString('hex'), c.source).toBe(
          c.ciphertext,
        );
        expect(cbcDecrypt('3des-cbc', hex(c.key), zero, hex(c.ciphertext)).toString('hex')).toBe(c.plaintext);
      }
      for (const c of v.cbc) {
        expect(
          cbcEncrypt('3des-cbc', hex(c.key), hex(c.iv), hex(c.plaintext)).toString('hex'),
          c.source,
        ).toBe(c.ciphertext);
        expect(cbcDecrypt('3des-cbc', hex(c.key), hex(c.iv), hex(c.ciphertext)).toString('hex')).toBe(
          c.plaintext,
        );
      }
      for (const c of v.des) {
        const k = hex(c.key);
        const k3 = Buffer.concat([k, k, k]);
        expect(cbcEncrypt('3des-cbc', k3, zero, hex(c.plaintext)).toString('hex'), c.source).toBe(
          c.ciphertext,
        );
      }
    });
  });

  it('AES-GCM-16 in the RFC 4106 arrangement: McGrew-Viega test cases', () => {
    const { cases } = loadVectors<{
      cases: {
        source: string;
        key: string;
        salt: string;
        iv: string;
        aad: string;
        plaintext: string;
        ciphertext: string;
        icv: string;
      }[];
    }>('crypto-aes-gcm.json');
    expect(cases.length).toBe(15);
    withBackend(be, () => {
      for (const c of cases) {
        const sealed = gcmSeal(hex(c.key), hex(c.salt), hex(c.iv), hex(c.aad), hex(c.plaintext));
        expect(sealed.toString('hex'), c.source).toBe(c.ciphertext + c.icv);
        expect(gcmOpen(hex(c.key), hex(c.salt), hex(c.iv), hex(c.aad), sealed)?.toString('hex')).toBe(
          c.plaintext,
        );
        const forged = Buffer.from(sealed);
        forged[forged.length - 1] ^= 1;
        expect(gcmOpen(hex(c.key), hex(c.salt), hex(c.iv), hex(c.aad), forged)).toBeUndefined();
      }
    });
  });

  it('ECP groups 19, 20, 21: RFC 5903 section 8', () => {
    const cases = loadEcpVectors();
    withBackend(be, () => {
      for (const c of cases) {
        const a = dhKeyPairFromPrivate(c.group, hex(c.i));
        const b = dhKeyPairFromPrivate(c.group, hex(c.r));
        expect(a.publicValue.toString('hex'), c.source).toBe(c.gix + c.giy);
        expect(b.publicValue.toString('hex'), c.source).toBe(c.grx + c.gry);
        expect(a.computeSecret(b.publicValue).toString('hex')).toBe(c.girx);
        expect(b.computeSecret(a.publicValue).toString('hex')).toBe(c.girx);
      }
    });
  });

  it('IKEv1 KDF: NIST CAVS samples (SHA-1, SHA-256, SHA-384; PSK and signature)', () => {
    const v = loadVectors<{
      kdf: {
        source: string;
        hash: HashName;
        auth: 'psk' | 'sig';
        psk?: string;
        ni: string;
        nr: string;
        gxy?: string;
        ckyI?: string;
        ckyR?: string;
        skeyid: string;
        skeyidD?: string;
        skeyidA?: string;
        skeyidE?: string;
      }[];
      expansion: {
        source: string;
        hash: HashName;
        kind: string;
        key: string;
        seed?: string;
        bytes: number;
        out: string;
      }[];
    }>('crypto-ikev1-kdf.json');
    withBackend(be, () => {
      for (const c of v.kdf) {
        const skeyid =
          c.auth === 'psk'
            ? skeyidPsk(c.hash, hex(c.psk ?? ''), hex(c.ni), hex(c.nr))
            : skeyidSig(c.hash, hex(c.ni), hex(c.nr), hex(c.gxy ?? ''));
        expect(skeyid.toString('hex'), c.source).toBe(c.skeyid);
        if (c.skeyidD === undefined) continue;
        const k = deriveSkeyids(c.hash, skeyid, hex(c.gxy ?? ''), hex(c.ckyI ?? ''), hex(c.ckyR ?? ''));
        expect(k.d.toString('hex'), c.source).toBe(c.skeyidD);
        expect(k.a.toString('hex'), c.source).toBe(c.skeyidA);
        expect(k.e.toString('hex'), c.source).toBe(c.skeyidE);
      }
      for (const c of v.expansion) {
        // The keymat form with protocol 0 and empty SPI and nonces is exactly Kn = prf(K, Kn-1 | 00).
        const out =
          c.kind === 'keymat'
            ? keymat(c.hash, hex(c.key), 0, Buffer.alloc(0), Buffer.alloc(0), Buffer.alloc(0), c.bytes)
            : phase1EncryptionKey(c.hash, hex(c.key), c.bytes);
        expect(c.seed === undefined || c.seed === '00').toBe(true);
        expect(out.toString('hex'), c.source).toBe(c.out);
      }
    });
  });
});

describe('published vectors for the single-implementation primitives', () => {
  it('MD4: RFC 1320 appendix A.5', () => {
    const { cases } = loadVectors<{ cases: { message: string; digest: string }[] }>('crypto-md4.json');
    expect(cases).toHaveLength(7);
    for (const c of cases) expect(md4(Buffer.from(c.message, 'latin1')).toString('hex')).toBe(c.digest);
  });

  it('DES: single-block answers through OpenSSL (K1=K2=K3), the 7-byte form and des-core', () => {
    const v = loadVectors<{
      ecb: { key: string; plaintext: string; ciphertext: string }[];
      des: { source: string; key: string; plaintext: string; ciphertext: string }[];
    }>('crypto-tdes.json');
    const all = [...v.des, ...v.ecb.map((c) => ({ ...c, key: c.key.slice(0, 16), source: 'SP 800-20 A.1' }))];
    for (const c of all) {
      const key8 = hex(c.key);
      expect(desEncryptBlock8(key8, hex(c.plaintext)).toString('hex'), c.source).toBe(c.ciphertext);
      // The 56 key bits without parity, packed into 7 bytes.
      let acc = 0n;
      for (const b of key8) acc = (acc << 7n) | BigInt(b >> 1);
      expect(
        desEncryptBlock7(hex(acc.toString(16).padStart(14, '0')), hex(c.plaintext)).toString('hex'),
      ).toBe(c.ciphertext);
      const out = Buffer.alloc(8);
      const ks = desKeySchedule(key8);
      desBlock(ks, false, hex(c.plaintext), 0, out, 0);
      expect(out.toString('hex'), `des-core ${c.source}`).toBe(c.ciphertext);
      desBlock(ks, true, out, 0, out, 0);
      expect(out.toString('hex')).toBe(c.plaintext);
    }
  });

  it('MS-CHAPv2: RFC 2759 section 9.2', () => {
    const { rfc2759: v } = loadVectors<{ rfc2759: Record<string, string> }>('crypto-mschapv2.json');
    const ph = ntPasswordHash(v.password);
    expect(ph.toString('hex')).toBe(v.passwordHash);
    expect(hashNtPasswordHash(ph).toString('hex')).toBe(v.passwordHashHash);
    const ch = challengeHash(hex(v.peerChallenge), hex(v.authenticatorChallenge), v.userName);
    expect(ch.toString('hex')).toBe(v.challenge);
    expect(challengeResponse(ch, ph).toString('hex')).toBe(v.ntResponse);
    const nt = generateNtResponse(hex(v.authenticatorChallenge), hex(v.peerChallenge), v.userName, ph);
    expect(nt.toString('hex')).toBe(v.ntResponse);
    expect(
      generateAuthenticatorResponse(ph, nt, hex(v.peerChallenge), hex(v.authenticatorChallenge), v.userName),
    ).toBe(v.authenticatorResponse);
  });

  it('MPPE: RFC 3079 sections 3.5.1 and 3.5.3', () => {
    const v = loadVectors<{
      rfc3079: {
        source: string;
        passwordHashHash: string;
        ntResponse: string;
        masterKey: string;
        keyLength: 8 | 16;
        sendStartKey: string;
      }[];
      clientSendKey: { key: string };
    }>('crypto-mschapv2.json');
    for (const c of v.rfc3079) {
      const master = mppeMasterKey(hex(c.passwordHashHash), hex(c.ntResponse));
      expect(master.toString('hex'), c.source).toBe(c.masterKey);
      // The RFC's SendStartKey is the server's send key, which is the client's receive key.
      expect(mppeAsymmetricStartKey(master, c.keyLength, true, true).toString('hex'), c.source).toBe(
        c.sendStartKey,
      );
      expect(mppeAsymmetricStartKey(master, c.keyLength, false, false).toString('hex')).toBe(c.sendStartKey);
    }
    const master = hex(v.rfc3079[0].masterKey);
    // The other direction (Magic2): the client's send key is the server's receive key.
    expect(mppeAsymmetricStartKey(master, 16, true, false).toString('hex')).toBe(v.clientSendKey.key);
    expect(mppeAsymmetricStartKey(master, 16, false, true).toString('hex')).toBe(v.clientSendKey.key);
  });
});

import { describe, expect, it } from 'vitest';
import {
  CIPHERS,
  cipherByEspId,
  cipherByIkeId,
  DH_GROUPS,
  dhGroupById,
  hashByIkeId,
  INTEGRITY,
  integrityByEspAuthId,
  opensslCipherName,
} from '../../src/crypto/registry.js';

describe('transform registry', () => {
  it('maps IKEv1 phase-1 attribute values (RFC 2409 App. A, RFC 3602 s5, RFC 4868 s4)', () => {
    expect(cipherByIkeId(7)?.name).toBe('aes-cbc');
    expect(cipherByIkeId(5)?.name).toBe('3des-cbc');
    expect(cipherByIkeId(1)).toBeUndefined(); // single DES is never negotiated
    expect(hashByIkeId(2)?.name).toBe('sha1');
    expect(hashByIkeId(4)?.name).toBe('sha256');
    expect(hashByIkeId(6)?.size).toBe(64);
  });

  it('maps IPsec DOI ESP transform IDs and auth algorithm values (RFC 2407 s4.4.4, s4.5)', () => {
    expect(cipherByEspId(3)).toBe(CIPHERS['3des-cbc']);
    expect(cipherByEspId(12)).toBe(CIPHERS['aes-cbc']);
    expect(cipherByEspId(20)).toBe(CIPHERS['aes-gcm-16']);
    expect(integrityByEspAuthId(2)).toBe(INTEGRITY['hmac-sha1-96']);
    expect(integrityByEspAuthId(5)?.icvSize).toBe(16);
    expect(integrityByEspAuthId(7)?.icvSize).toBe(32);
  });

  it('sizes DH public values per RFC 5903 section 7 (x||y) and MODP prime length', () => {
    expect(DH_GROUPS[2].publicSize).toBe(128);
    expect(DH_GROUPS[14].publicSize).toBe(256);
    expect(DH_GROUPS[19].publicSize).toBe(64);
    expect(DH_GROUPS[21].publicSize).toBe(132);
    expect(DH_GROUPS[21].secretSize).toBe(66);
    expect(dhGroupById(31)).toBeUndefined();
  });

  it('names OpenSSL ciphers', () => {
    expect(opensslCipherName(CIPHERS['aes-cbc'], 256)).toBe('aes-256-cbc');
    expect(opensslCipherName(CIPHERS['3des-cbc'], 192)).toBe('des-ede3-cbc');
    expect(opensslCipherName(CIPHERS['aes-gcm-16'], 128)).toBe('aes-128-gcm');
  });
});

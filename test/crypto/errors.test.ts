/** Wrong lengths raise typed errors carrying a code; nothing returns garbage. */
import { describe, expect, it } from 'vitest';
import { desEncryptBlock7 } from '../../src/crypto/des.js';
import { dhKeyPairFromPrivate } from '../../src/crypto/dh.js';
import { CryptoError, type CryptoErrorCode } from '../../src/crypto/errors.js';
import { gcmOpen, gcmSeal, splitGcmKeymat } from '../../src/crypto/gcm.js';
import { mppeAsymmetricStartKey, mppeMasterKey } from '../../src/crypto/mppe.js';
import {
  challengeHash,
  challengeResponse,
  generateAuthenticatorResponse,
} from '../../src/crypto/mschapv2.js';

function expectCode(code: CryptoErrorCode, fn: () => unknown): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(CryptoError);
  expect((caught as CryptoError).code).toBe(code);
}

const z = (n: number) => Buffer.alloc(n);

describe('typed crypto errors', () => {
  it('AES-GCM: key, salt and IV lengths; a sealed input shorter than the ICV opens to undefined', () => {
    expectCode('key-length', () => gcmSeal(z(15), z(4), z(8), z(0), z(16)));
    expectCode('key-length', () => gcmSeal(z(16), z(3), z(8), z(0), z(16)));
    expectCode('input-length', () => gcmSeal(z(16), z(4), z(12), z(0), z(16)));
    expect(gcmOpen(z(16), z(4), z(8), z(0), z(15))).toBeUndefined();
    expectCode('key-length', () => splitGcmKeymat(z(16)));
    const { key, salt } = splitGcmKeymat(Buffer.from('000102030405060708090a0b0c0d0e0f10111213', 'hex'));
    expect(key.toString('hex')).toBe('000102030405060708090a0b0c0d0e0f');
    expect(salt.toString('hex')).toBe('10111213');
  });

  it('DES and MS-CHAPv2 input lengths (RFC 2759 section 8)', () => {
    expectCode('key-length', () => desEncryptBlock7(z(8), z(8)));
    expectCode('input-length', () => desEncryptBlock7(z(7), z(7)));
    expectCode('input-length', () => challengeHash(z(15), z(16), 'u'));
    expectCode('input-length', () => challengeHash(z(16), z(17), 'u'));
    expectCode('input-length', () => challengeResponse(z(8), z(15)));
    expectCode('input-length', () => challengeResponse(z(9), z(16)));
    expectCode('input-length', () => generateAuthenticatorResponse(z(16), z(23), z(16), z(16), 'u'));
  });

  it('MPPE lengths (RFC 3079 section 3.4)', () => {
    expectCode('input-length', () => mppeMasterKey(z(15), z(24)));
    expectCode('input-length', () => mppeMasterKey(z(16), z(25)));
    expectCode('key-length', () => mppeAsymmetricStartKey(z(15), 16, true, true));
    expectCode('key-length', () => mppeAsymmetricStartKey(z(16), 12 as 16, true, true));
  });

  it('DH private keys of impossible lengths', () => {
    expectCode('key-length', () => dhKeyPairFromPrivate(19, z(0)));
    expectCode('key-length', () => dhKeyPairFromPrivate(19, z(33)));
    expectCode('key-length', () => dhKeyPairFromPrivate(19, z(32))); // scalar 0
    expectCode('key-length', () => dhKeyPairFromPrivate(19, Buffer.alloc(32, 0xff))); // scalar >= n
  });
});

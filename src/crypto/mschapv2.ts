/**
 * MS-CHAPv2 (RFC 2759 section 8). The authenticator side takes the NT password hash rather than the
 * password, so a user database may store NtPasswordHash values instead of cleartext.
 */
import { createHash } from 'node:crypto';
import { desEncryptBlock7 } from './des.js';
import { CryptoError } from './errors.js';
import { md4 } from './md4.js';

// RFC 2759 section 8.7: the two constants of GenerateAuthenticatorResponse.
const MAGIC1 = Buffer.from('Magic server to client signing constant', 'ascii');
const MAGIC2 = Buffer.from('Pad to make it do more than one iteration', 'ascii');

function sha1(...parts: Uint8Array[]): Buffer {
  const h = createHash('sha1');
  for (const p of parts) h.update(p);
  return h.digest();
}

function requireLength(name: string, v: Uint8Array, n: number): void {
  if (v.length !== n) throw new CryptoError('input-length', `${name} must be ${n} bytes, got ${v.length}`);
}

/** NtPasswordHash = MD4(password as UTF-16LE) (RFC 2759 section 8.3). */
export function ntPasswordHash(password: string): Buffer {
  return md4(Buffer.from(password, 'utf16le'));
}

/** HashNtPasswordHash = MD4(PasswordHash) (RFC 2759 section 8.4). */
export function hashNtPasswordHash(passwordHash: Uint8Array): Buffer {
  requireLength('PasswordHash', passwordHash, 16);
  return md4(passwordHash);
}

/**
 * ChallengeHash = first 8 octets of SHA1(PeerChallenge | AuthenticatorChallenge | UserName) (RFC 2759
 * section 8.2). UserName is the name as sent in the Response packet, without any domain stripping here.
 */
export function challengeHash(
  peerChallenge: Uint8Array,
  authenticatorChallenge: Uint8Array,
  userName: string,
): Buffer {
  requireLength('PeerChallenge', peerChallenge, 16);
  requireLength('AuthenticatorChallenge', authenticatorChallenge, 16);
  return sha1(peerChallenge, authenticatorChallenge, Buffer.from(userName, 'utf8')).subarray(0, 8);
}

/**
 * ChallengeResponse (RFC 2759 section 8.5): the password hash zero-padded to 21 octets is three 7-octet DES
 * keys, each encrypting the 8-octet challenge; the 24-octet result is their concatenation.
 */
export function challengeResponse(challenge8: Uint8Array, passwordHash: Uint8Array): Buffer {
  requireLength('Challenge', challenge8, 8);
  requireLength('PasswordHash', passwordHash, 16);
  const z = Buffer.alloc(21);
  z.set(passwordHash);
  return Buffer.concat([
    desEncryptBlock7(z.subarray(0, 7), challenge8),
    desEncryptBlock7(z.subarray(7, 14), challenge8),
    desEncryptBlock7(z.subarray(14, 21), challenge8),
  ]);
}

/** GenerateNTResponse (RFC 2759 section 8.1): ChallengeResponse(ChallengeHash(…), PasswordHash). */
export function generateNtResponse(
  authenticatorChallenge: Uint8Array,
  peerChallenge: Uint8Array,
  userName: string,
  passwordHash: Uint8Array,
): Buffer {
  return challengeResponse(challengeHash(peerChallenge, authenticatorChallenge, userName), passwordHash);
}

/**
 * GenerateAuthenticatorResponse (RFC 2759 section 8.7):
 *   Digest = SHA1(SHA1(HashNtPasswordHash | NT-Response | Magic1) | ChallengeHash | Magic2),
 * sent as "S=" followed by 40 upper-case hex digits.
 */
export function generateAuthenticatorResponse(
  passwordHash: Uint8Array,
  ntResponse: Uint8Array,
  peerChallenge: Uint8Array,
  authenticatorChallenge: Uint8Array,
  userName: string,
): string {
  requireLength('NT-Response', ntResponse, 24);
  const inner = sha1(hashNtPasswordHash(passwordHash), ntResponse, MAGIC1);
  const digest = sha1(inner, challengeHash(peerChallenge, authenticatorChallenge, userName), MAGIC2);
  return `S=${digest.toString('hex').toUpperCase()}`;
}

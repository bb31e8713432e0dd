/**
 * User-Password hiding (RFC 2865 section 5.2): the password, NUL-padded to a multiple of 16 octets (at
 * most 128), XORed block by block with MD5(secret ‖ previous block), the first "previous block" being the
 * Request Authenticator. Only a holder of the shared secret can recover it.
 */
import { createHash } from 'node:crypto';
import { RadiusDecodeError, RadiusEncodeError } from './packet.js';

export const USER_PASSWORD_MAX = 128;

function xorChain(input: Buffer, secret: Buffer, requestAuthenticator: Buffer, hiding: boolean): Buffer {
  const out = Buffer.alloc(input.length);
  let previous = requestAuthenticator;
  for (let off = 0; off < input.length; off += 16) {
    const b = createHash('md5').update(secret).update(previous).digest();
    for (let i = 0; i < 16; i++) out[off + i] = input[off + i] ^ b[i];
    // Section 5.2: the next block is keyed on the previous ciphertext block.
    previous = hiding ? out.subarray(off, off + 16) : input.subarray(off, off + 16);
  }
  return out;
}

export function hideUserPassword(password: Buffer, secret: Buffer, requestAuthenticator: Buffer): Buffer {
  if (password.length > USER_PASSWORD_MAX) {
    throw new RadiusEncodeError(`User-Password of ${password.length} octets exceeds 128`);
  }
  const padded = Buffer.alloc(Math.max(16, Math.ceil(password.length / 16) * 16));
  password.copy(padded);
  return xorChain(padded, secret, requestAuthenticator, true);
}

/** The inverse of `hideUserPassword`; trailing NUL padding is removed. */
export function recoverUserPassword(hidden: Buffer, secret: Buffer, requestAuthenticator: Buffer): Buffer {
  if (hidden.length < 16 || hidden.length > USER_PASSWORD_MAX || hidden.length % 16 !== 0) {
    throw new RadiusDecodeError('bad-value', `User-Password of ${hidden.length} octets`);
  }
  const plain = xorChain(hidden, secret, requestAuthenticator, false);
  let end = plain.length;
  while (end > 0 && plain[end - 1] === 0) end--;
  return plain.subarray(0, end);
}

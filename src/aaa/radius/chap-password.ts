/**
 * CHAP-Password (RFC 2865 section 5.3): the PPP CHAP Identifier, then the 16-octet MD5 Response. The
 * challenge goes in CHAP-Challenge (section 5.40) unless it is the 16-octet Request Authenticator itself;
 * this NAS always sends CHAP-Challenge, since PPP's challenge length is its own choice.
 */
import { RadiusDecodeError, RadiusEncodeError } from './packet.js';

export interface ChapPassword {
  readonly id: number;
  readonly response: Buffer;
}

export function encodeChapPassword(v: ChapPassword): Buffer {
  if (v.response.length !== 16) throw new RadiusEncodeError(`CHAP response of ${v.response.length} octets`);
  return Buffer.concat([Buffer.of(v.id), v.response]);
}

export function decodeChapPassword(value: Buffer): ChapPassword {
  if (value.length !== 17)
    throw new RadiusDecodeError('bad-value', `CHAP-Password of ${value.length} octets`);
  return { id: value[0], response: Buffer.from(value.subarray(1)) };
}

/**
 * The ISAKMP header (RFC 2408 section 3.1): two 8-byte cookies, next payload, version, exchange type,
 * flags, message ID and the length of the whole message including the header.
 */
import { HEADER_LENGTH, ISAKMP_VERSION, NotifyType } from './constants.js';
import { IkeDecodeError } from './errors.js';

export interface IsakmpHeader {
  readonly initiatorCookie: Buffer;
  readonly responderCookie: Buffer;
  readonly nextPayload: number;
  readonly version: number;
  readonly exchangeType: number;
  readonly flags: number;
  readonly messageId: number;
  /** Whole-message length (header included). */
  readonly length: number;
}

export function encodeHeader(h: IsakmpHeader): Buffer {
  const b = Buffer.alloc(HEADER_LENGTH);
  encodeHeaderInto(h, b);
  return b;
}

export function encodeHeaderInto(h: IsakmpHeader, b: Buffer): void {
  if (h.initiatorCookie.length !== 8 || h.responderCookie.length !== 8) {
    throw new RangeError('ISAKMP cookies are 8 bytes');
  }
  h.initiatorCookie.copy(b, 0);
  h.responderCookie.copy(b, 8);
  b[16] = h.nextPayload;
  b[17] = h.version;
  b[18] = h.exchangeType;
  b[19] = h.flags;
  b.writeUInt32BE(h.messageId >>> 0, 20);
  b.writeUInt32BE(h.length >>> 0, 24);
}

/**
 * Decodes the header and checks it against the datagram: a length field that disagrees with the datagram
 * is UNEQUAL-PAYLOAD-LENGTHS (RFC 2408 section 5.1 says drop; the notify type names the reason); a major
 * version other than 1 is INVALID-MAJOR-VERSION (section 5.1).
 */
export function decodeHeader(buf: Buffer): IsakmpHeader {
  if (buf.length < HEADER_LENGTH) throw new IkeDecodeError(`message of ${buf.length} bytes has no header`);
  const version = buf[17];
  if (version >> 4 !== ISAKMP_VERSION >> 4) {
    throw new IkeDecodeError(`ISAKMP major version ${version >> 4}`, NotifyType.InvalidMajorVersion);
  }
  const length = buf.readUInt32BE(24);
  if (length !== buf.length) {
    throw new IkeDecodeError(
      `header length ${length} != datagram ${buf.length}`,
      NotifyType.UnequalPayloadLengths,
    );
  }
  // The cookies are copies (an SA keeps them; the datagram may be the caller's to reuse): one 16-byte copy
  // viewed twice.
  const cookies = Buffer.allocUnsafe(16);
  buf.copy(cookies, 0, 0, 16);
  return {
    initiatorCookie: cookies.subarray(0, 8),
    responderCookie: cookies.subarray(8, 16),
    nextPayload: buf[16],
    version,
    exchangeType: buf[18],
    flags: buf[19],
    messageId: buf.readUInt32BE(20),
    length,
  };
}

/**
 * Packet integrity. RFC 2865 section 3: a reply's Response Authenticator is
 * MD5(Code ‖ Identifier ‖ Length ‖ Request Authenticator ‖ Attributes ‖ Secret). RFC 2866 section 3: an
 * Accounting-Request's authenticator is the same MD5 with 16 zero octets in place of the Request
 * Authenticator. RFC 3579 section 3.2: Message-Authenticator is HMAC-MD5(secret, whole packet) computed
 * with its own value zeroed, over the Request Authenticator (for a reply: the request's).
 *
 * BlastRADIUS (CVE-2024-3596): the MD5 Response Authenticator alone can be forged by a man in the middle
 * through a chosen-prefix collision. So every Access-Request carries Message-Authenticator as its FIRST
 * attribute, and every Access-Accept/Reject/Challenge must carry a valid one, else it is dropped.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { AttributeType } from './attributes.js';
import {
  decodeRadiusPacket,
  encodeRadiusPacket,
  RADIUS_AUTHENTICATOR_LENGTH,
  RADIUS_HEADER_LENGTH,
  type RadiusAttribute,
  type RadiusPacket,
} from './packet.js';

const ZERO16 = Buffer.alloc(RADIUS_AUTHENTICATOR_LENGTH);

export type RadiusVerifyReason =
  | 'bad-response-authenticator'
  | 'missing-message-authenticator'
  | 'bad-message-authenticator';

/** A reply that fails verification: counted under `reason` and dropped, never used. */
export class RadiusVerifyError extends Error {
  constructor(readonly reason: RadiusVerifyReason) {
    super(`RADIUS reply dropped: ${reason}`);
    this.name = 'RadiusVerifyError';
  }
}

function withoutMessageAuthenticator(attrs: readonly RadiusAttribute[]): RadiusAttribute[] {
  return attrs.filter((a) => a.type !== AttributeType.MessageAuthenticator);
}

/** Offsets of the Message-Authenticator values in an encoded packet (already length-checked). */
function messageAuthenticatorOffsets(bytes: Buffer): number[] {
  const out: number[] = [];
  const length = bytes.readUInt16BE(2);
  for (let off = RADIUS_HEADER_LENGTH; off + 2 <= length; off += bytes[off + 1]) {
    if (bytes[off + 1] < 2) break;
    if (bytes[off] === AttributeType.MessageAuthenticator) out.push(off + 2);
  }
  return out;
}

/** HMAC-MD5 over `bytes` with the authenticator field = `authenticatorField` and the MA value zeroed. */
function computeMessageAuthenticator(
  bytes: Buffer,
  maOffset: number,
  authenticatorField: Buffer,
  secret: Buffer,
) {
  const copy = Buffer.from(bytes.subarray(0, bytes.readUInt16BE(2)));
  authenticatorField.copy(copy, 4);
  copy.fill(0, maOffset, maOffset + 16);
  return createHmac('md5', secret).update(copy).digest();
}

/** MD5(packet with `authenticatorField` in the header ‖ secret). */
function md5Authenticator(bytes: Buffer, authenticatorField: Buffer, secret: Buffer): Buffer {
  const length = bytes.readUInt16BE(2);
  return createHash('md5')
    .update(bytes.subarray(0, 4))
    .update(authenticatorField)
    .update(bytes.subarray(RADIUS_HEADER_LENGTH, length))
    .update(secret)
    .digest();
}

/**
 * Encodes an Access-Request whose `authenticator` is the random Request Authenticator, with
 * Message-Authenticator inserted first (any given one is replaced).
 */
export function signAccessRequest(packet: RadiusPacket, secret: Buffer): Buffer {
  const bytes = encodeRadiusPacket({
    ...packet,
    attributes: [
      { type: AttributeType.MessageAuthenticator, value: ZERO16 },
      ...withoutMessageAuthenticator(packet.attributes),
    ],
  });
  const ma = RADIUS_HEADER_LENGTH + 2;
  computeMessageAuthenticator(bytes, ma, packet.authenticator, secret).copy(bytes, ma);
  return bytes;
}

/** RFC 2866 section 3: the Accounting-Request authenticator (the packet's own field is ignored). */
export function signAccountingRequest(packet: RadiusPacket, secret: Buffer): Buffer {
  const bytes = encodeRadiusPacket({ ...packet, authenticator: ZERO16 });
  md5Authenticator(bytes, ZERO16, secret).copy(bytes, 4);
  return bytes;
}

/**
 * Encodes a reply to the request with `requestAuthenticator` (server side: test peers and golden vectors).
 * With `messageAuthenticator`, one is inserted first, as RFC 3579 and the BlastRADIUS advisories advise.
 */
export function signResponse(
  packet: Omit<RadiusPacket, 'authenticator'>,
  requestAuthenticator: Buffer,
  secret: Buffer,
  opts: { messageAuthenticator: boolean },
): Buffer {
  const attrs = withoutMessageAuthenticator(packet.attributes);
  const bytes = encodeRadiusPacket({
    ...packet,
    authenticator: requestAuthenticator,
    attributes: opts.messageAuthenticator
      ? [{ type: AttributeType.MessageAuthenticator, value: ZERO16 }, ...attrs]
      : attrs,
  });
  if (opts.messageAuthenticator) {
    const ma = RADIUS_HEADER_LENGTH + 2;
    computeMessageAuthenticator(bytes, ma, requestAuthenticator, secret).copy(bytes, ma);
  }
  md5Authenticator(bytes, requestAuthenticator, secret).copy(bytes, 4);
  return bytes;
}

/**
 * Verifies and decodes a reply to the request with `requestAuthenticator`. The Response Authenticator is
 * always checked; Message-Authenticator is checked when present and, with `requireMessageAuthenticator`,
 * must be present (exactly once). Throws `RadiusVerifyError` or `RadiusDecodeError`.
 */
export function verifyResponse(
  datagram: Uint8Array,
  requestAuthenticator: Buffer,
  secret: Buffer,
  opts: { requireMessageAuthenticator: boolean },
): RadiusPacket {
  const packet = decodeRadiusPacket(datagram);
  const bytes = Buffer.from(datagram.buffer, datagram.byteOffset, datagram.length);
  const expected = md5Authenticator(bytes, requestAuthenticator, secret);
  if (!timingSafeEqual(expected, packet.authenticator))
    throw new RadiusVerifyError('bad-response-authenticator');
  const offsets = messageAuthenticatorOffsets(bytes);
  if (offsets.length === 0) {
    if (opts.requireMessageAuthenticator) throw new RadiusVerifyError('missing-message-authenticator');
    return packet;
  }
  // RFC 3579 section 3.2: exactly one, of 16 octets.
  if (offsets.length > 1 || bytes[offsets[0] - 1] !== 18)
    throw new RadiusVerifyError('bad-message-authenticator');
  const ma = computeMessageAuthenticator(bytes, offsets[0], requestAuthenticator, secret);
  if (!timingSafeEqual(ma, bytes.subarray(offsets[0], offsets[0] + 16))) {
    throw new RadiusVerifyError('bad-message-authenticator');
  }
  return packet;
}

/**
 * Server side (test peers): whether an Access-Request carries exactly one valid Message-Authenticator.
 */
export function hasValidRequestMessageAuthenticator(datagram: Uint8Array, secret: Buffer): boolean {
  const packet = decodeRadiusPacket(datagram);
  const bytes = Buffer.from(datagram.buffer, datagram.byteOffset, datagram.length);
  const offsets = messageAuthenticatorOffsets(bytes);
  if (offsets.length !== 1 || bytes[offsets[0] - 1] !== 18) return false;
  const ma = computeMessageAuthenticator(bytes, offsets[0], packet.authenticator, secret);
  return timingSafeEqual(ma, bytes.subarray(offsets[0], offsets[0] + 16));
}

/** Server side (test peers): whether an Accounting-Request's authenticator is right (RFC 2866 section 3). */
export function hasValidAccountingRequestAuthenticator(datagram: Uint8Array, secret: Buffer): boolean {
  const packet = decodeRadiusPacket(datagram);
  const bytes = Buffer.from(datagram.buffer, datagram.byteOffset, datagram.length);
  return timingSafeEqual(md5Authenticator(bytes, ZERO16, secret), packet.authenticator);
}

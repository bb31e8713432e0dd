/**
 * The RADIUS packet (RFC 2865 section 3): Code, Identifier, Length, the 16-byte Authenticator, then
 * attributes (section 5) as type-length-value. Symmetric: `encodeRadiusPacket` / `decodeRadiusPacket`.
 * Signing and verification (Response Authenticator, Message-Authenticator) live in `signing.ts`.
 */

/** RFC 2865 section 3 and RFC 2866 section 3: the codes this NAS sends or accepts. */
export const RadiusCode = {
  AccessRequest: 1,
  AccessAccept: 2,
  AccessReject: 3,
  AccountingRequest: 4,
  AccountingResponse: 5,
  AccessChallenge: 11,
} as const;
export type RadiusCode = (typeof RadiusCode)[keyof typeof RadiusCode];

/** RFC 2865 section 3: Length is 20..4096; octets past Length are padding the receiver ignores. */
export const RADIUS_HEADER_LENGTH = 20;
export const RADIUS_MAX_LENGTH = 4096;
export const RADIUS_AUTHENTICATOR_LENGTH = 16;
/** RFC 2865 section 5: the Length octet covers type and length, so a value holds at most 253 octets. */
export const RADIUS_MAX_ATTRIBUTE_VALUE = 253;

export interface RadiusAttribute {
  readonly type: number;
  readonly value: Buffer;
}

export interface RadiusPacket {
  readonly code: number;
  readonly identifier: number;
  readonly authenticator: Buffer;
  readonly attributes: readonly RadiusAttribute[];
}

/** A malformed packet or attribute; the client counts it under `reason` and drops the datagram. */
export class RadiusDecodeError extends Error {
  constructor(
    readonly reason: 'short' | 'bad-length' | 'bad-attribute' | 'bad-value',
    message: string,
  ) {
    super(message);
    this.name = 'RadiusDecodeError';
  }
}

/** Thrown when a packet to send would break a section 3/5 limit (a programming or configuration error). */
export class RadiusEncodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RadiusEncodeError';
  }
}

export function encodeRadiusPacket(packet: RadiusPacket): Buffer {
  if (packet.authenticator.length !== RADIUS_AUTHENTICATOR_LENGTH) {
    throw new RadiusEncodeError(`authenticator must be 16 octets, not ${packet.authenticator.length}`);
  }
  let length = RADIUS_HEADER_LENGTH;
  for (const a of packet.attributes) {
    if (a.value.length > RADIUS_MAX_ATTRIBUTE_VALUE) {
      throw new RadiusEncodeError(`attribute ${a.type} value of ${a.value.length} octets exceeds 253`);
    }
    length += 2 + a.value.length;
  }
  if (length > RADIUS_MAX_LENGTH) throw new RadiusEncodeError(`packet of ${length} octets exceeds 4096`);
  const out = Buffer.alloc(length);
  out[0] = packet.code;
  out[1] = packet.identifier;
  out.writeUInt16BE(length, 2);
  packet.authenticator.copy(out, 4);
  let off = RADIUS_HEADER_LENGTH;
  for (const a of packet.attributes) {
    out[off] = a.type;
    out[off + 1] = 2 + a.value.length;
    a.value.copy(out, off + 2);
    off += 2 + a.value.length;
  }
  return out;
}

/**
 * Decodes one datagram. Values are copies, so the caller may reuse `buf`. Section 3: a datagram shorter
 * than Length is discarded; octets beyond Length are padding and ignored.
 */
export function decodeRadiusPacket(buf: Uint8Array): RadiusPacket {
  if (buf.length < RADIUS_HEADER_LENGTH) {
    throw new RadiusDecodeError('short', `datagram of ${buf.length} octets is shorter than the header`);
  }
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.length);
  const length = b.readUInt16BE(2);
  if (length < RADIUS_HEADER_LENGTH || length > RADIUS_MAX_LENGTH) {
    throw new RadiusDecodeError('bad-length', `Length ${length} outside 20..4096`);
  }
  if (length > b.length) {
    throw new RadiusDecodeError('short', `Length ${length} but only ${b.length} octets received`);
  }
  const attributes: RadiusAttribute[] = [];
  let off = RADIUS_HEADER_LENGTH;
  while (off < length) {
    if (off + 2 > length) throw new RadiusDecodeError('bad-attribute', `truncated attribute at ${off}`);
    const alen = b[off + 1];
    if (alen < 2 || off + alen > length) {
      throw new RadiusDecodeError('bad-attribute', `attribute ${b[off]} at ${off} has bad length ${alen}`);
    }
    attributes.push({ type: b[off], value: Buffer.from(b.subarray(off + 2, off + alen)) });
    off += alen;
  }
  return {
    code: b[0],
    identifier: b[1],
    authenticator: Buffer.from(b.subarray(4, 20)),
    attributes,
  };
}

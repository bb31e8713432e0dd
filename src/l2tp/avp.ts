/**
 * The AVP codec (RFC 2661 section 4.1): M (mandatory) and H (hidden) bits, 10-bit length that includes the
 * 6-byte header, Vendor ID and Attribute Type. Framing errors (an AVP running past the message or shorter
 * than its header) make the whole message unparseable, so they throw a decode error and the message is
 * dropped and counted.
 */
import { L2tpDecodeError } from './errors.js';

export const AVP_FLAG_M = 0x8000;
export const AVP_FLAG_H = 0x4000;
const AVP_RESERVED = 0x3c00;
const AVP_LENGTH_MASK = 0x03ff;
export const AVP_HEADER_SIZE = 6;
/** The 10-bit Length field bounds an AVP, header included. */
export const AVP_MAX_SIZE = AVP_LENGTH_MASK;

export interface Avp {
  readonly mandatory: boolean;
  readonly hidden: boolean;
  readonly vendorId: number;
  readonly type: number;
  /** The attribute value; for a hidden AVP, the still-hidden bytes. */
  readonly value: Buffer;
  /** Reserved bits were set: section 4.1 treats such an AVP as unrecognised. */
  readonly reservedBitsSet?: boolean;
}

export function encodeAvp(avp: Avp): Buffer {
  const size = AVP_HEADER_SIZE + avp.value.length;
  if (size > AVP_MAX_SIZE) throw new RangeError(`AVP ${avp.type} is ${size} bytes, over the 1023-byte limit`);
  const out = Buffer.allocUnsafe(size);
  out.writeUInt16BE((avp.mandatory ? AVP_FLAG_M : 0) | (avp.hidden ? AVP_FLAG_H : 0) | size, 0);
  out.writeUInt16BE(avp.vendorId, 2);
  out.writeUInt16BE(avp.type, 4);
  out.set(avp.value, AVP_HEADER_SIZE);
  return out;
}

export function encodeAvps(avps: readonly Avp[]): Buffer {
  return Buffer.concat(avps.map(encodeAvp));
}

/** Splits a control message body into AVPs. Values are views into `body`. */
export function decodeAvps(body: Buffer): Avp[] {
  const out: Avp[] = [];
  let p = 0;
  while (p < body.length) {
    if (body.length - p < AVP_HEADER_SIZE) throw new L2tpDecodeError('bad-avp', 'truncated AVP header');
    const word = body.readUInt16BE(p);
    const len = word & AVP_LENGTH_MASK;
    if (len < AVP_HEADER_SIZE || p + len > body.length) {
      throw new L2tpDecodeError('bad-avp', `AVP length ${len} at offset ${p} of ${body.length}`);
    }
    out.push({
      mandatory: (word & AVP_FLAG_M) !== 0,
      hidden: (word & AVP_FLAG_H) !== 0,
      vendorId: body.readUInt16BE(p + 2),
      type: body.readUInt16BE(p + 4),
      value: body.subarray(p + AVP_HEADER_SIZE, p + len),
      reservedBitsSet: (word & AVP_RESERVED) !== 0,
    });
    p += len;
  }
  return out;
}

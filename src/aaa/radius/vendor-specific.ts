/**
 * Vendor-Specific (RFC 2865 section 5.26): a 4-octet Vendor-Id, then — in the format the section
 * recommends and RFC 2548 uses — vendor sub-attributes of Vendor-Type (1), Vendor-Length (1, covering type
 * and length) and value. One Vendor-Specific attribute may carry several sub-attributes.
 */
import { AttributeType } from './attributes.js';
import {
  RADIUS_MAX_ATTRIBUTE_VALUE,
  type RadiusAttribute,
  RadiusDecodeError,
  RadiusEncodeError,
  type RadiusPacket,
} from './packet.js';

export interface VendorAttribute {
  readonly vendorId: number;
  readonly type: number;
  readonly value: Buffer;
}

/** Wraps sub-attributes of one vendor into a single attribute 26. */
export function encodeVendorSpecific(
  vendorId: number,
  subAttributes: readonly { readonly type: number; readonly value: Buffer }[],
): RadiusAttribute {
  let length = 4;
  for (const s of subAttributes) length += 2 + s.value.length;
  if (length > RADIUS_MAX_ATTRIBUTE_VALUE) {
    throw new RadiusEncodeError(`Vendor-Specific of ${length} octets exceeds 253`);
  }
  const value = Buffer.alloc(length);
  value.writeUInt32BE(vendorId >>> 0, 0);
  let off = 4;
  for (const s of subAttributes) {
    value[off] = s.type;
    value[off + 1] = 2 + s.value.length;
    s.value.copy(value, off + 2);
    off += 2 + s.value.length;
  }
  return { type: AttributeType.VendorSpecific, value };
}

/** The sub-attributes of one attribute 26 value. */
export function decodeVendorSpecific(value: Buffer): VendorAttribute[] {
  if (value.length < 4) throw new RadiusDecodeError('bad-value', `Vendor-Specific of ${value.length} octets`);
  const vendorId = value.readUInt32BE(0);
  const out: VendorAttribute[] = [];
  let off = 4;
  while (off < value.length) {
    if (off + 2 > value.length) throw new RadiusDecodeError('bad-value', 'truncated vendor sub-attribute');
    const len = value[off + 1];
    if (len < 2 || off + len > value.length) {
      throw new RadiusDecodeError(
        'bad-value',
        `vendor ${vendorId} sub-attribute ${value[off]} has bad length ${len}`,
      );
    }
    out.push({ vendorId, type: value[off], value: Buffer.from(value.subarray(off + 2, off + len)) });
    off += len;
  }
  return out;
}

/** The first sub-attribute `type` of `vendorId` anywhere in the packet. */
export function findVendorAttribute(
  packet: RadiusPacket,
  vendorId: number,
  type: number,
): VendorAttribute | undefined {
  for (const a of packet.attributes) {
    if (a.type !== AttributeType.VendorSpecific || a.value.length < 4) continue;
    if (a.value.readUInt32BE(0) !== vendorId) continue;
    const hit = decodeVendorSpecific(a.value).find((s) => s.type === type);
    if (hit) return hit;
  }
  return undefined;
}

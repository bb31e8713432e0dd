/**
 * Data attributes (RFC 2408 section 3.3): TV form (AF bit set, 16-bit value) and TLV form (AF clear,
 * 16-bit length then the value). A number value is carried TV; a Buffer value TLV, so decode ∘ encode is
 * the identity and a peer's choice of form survives a round trip.
 */
import { IkeDecodeError } from './errors.js';

export interface DataAttribute {
  readonly type: number;
  /** number → TV form (0..65535); Buffer → TLV form. */
  readonly value: number | Buffer;
}

const AF = 0x8000;

export function attributesLength(attrs: readonly DataAttribute[]): number {
  let n = 0;
  for (const a of attrs) n += typeof a.value === 'number' ? 4 : 4 + a.value.length;
  return n;
}

export function encodeAttributesInto(attrs: readonly DataAttribute[], b: Buffer, off: number): number {
  for (const a of attrs) {
    if (a.type < 0 || a.type > 0x7fff) throw new RangeError(`attribute type ${a.type}`);
    if (typeof a.value === 'number') {
      if (a.value < 0 || a.value > 0xffff || !Number.isInteger(a.value)) {
        throw new RangeError(`TV attribute value ${a.value} does not fit 16 bits`);
      }
      b.writeUInt16BE(AF | a.type, off);
      b.writeUInt16BE(a.value, off + 2);
      off += 4;
    } else {
      if (a.value.length > 0xffff) throw new RangeError('TLV attribute too long');
      b.writeUInt16BE(a.type, off);
      b.writeUInt16BE(a.value.length, off + 2);
      a.value.copy(b, off + 4);
      off += 4 + a.value.length;
    }
  }
  return off;
}

export function encodeAttributes(attrs: readonly DataAttribute[]): Buffer {
  const b = Buffer.alloc(attributesLength(attrs));
  encodeAttributesInto(attrs, b, 0);
  return b;
}

export function decodeAttributes(buf: Buffer): DataAttribute[] {
  const out: DataAttribute[] = [];
  let off = 0;
  while (off < buf.length) {
    if (buf.length - off < 4) throw new IkeDecodeError('truncated data attribute');
    const t = buf.readUInt16BE(off);
    if (t & AF) {
      out.push({ type: t & 0x7fff, value: buf.readUInt16BE(off + 2) });
      off += 4;
    } else {
      const len = buf.readUInt16BE(off + 2);
      if (off + 4 + len > buf.length) throw new IkeDecodeError('TLV attribute overruns its transform');
      out.push({ type: t, value: Buffer.from(buf.subarray(off + 4, off + 4 + len)) });
      off += 4 + len;
    }
  }
  return out;
}

/** Reads an attribute as an unsigned integer (TV, or TLV of 1..6 bytes); undefined otherwise. */
export function attributeNumber(a: DataAttribute): number | undefined {
  if (typeof a.value === 'number') return a.value;
  if (a.value.length === 0 || a.value.length > 6) return undefined;
  return a.value.readUIntBE(0, a.value.length);
}

/**
 * A value in the smallest form: TV when it fits 16 bits, otherwise a 4-byte TLV (life durations,
 * RFC 2407 section 4.5 lists SA Life Duration as variable).
 */
export function numberAttribute(type: number, value: number): DataAttribute {
  if (value <= 0xffff) return { type, value };
  const b = Buffer.alloc(4);
  b.writeUInt32BE(value >>> 0);
  return { type, value: b };
}

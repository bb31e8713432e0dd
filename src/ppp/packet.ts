/**
 * The control-protocol packet (RFC 1661 section 5: Code, Identifier, Length, Data) and the
 * Type-Length-Value configuration option list (section 6) carried in Configure-* packets. LCP, IPCP
 * (RFC 1332) and IPv6CP (RFC 5072) all share both formats.
 */

/** Malformed control packet; the receiver counts it under `reason` and drops it (RFC 1661 section 5). */
export class PppDecodeError extends Error {
  constructor(
    readonly reason: 'short-packet' | 'bad-length' | 'bad-option-length',
    message: string,
  ) {
    super(message);
    this.name = 'PppDecodeError';
  }
}

export interface CpPacket {
  readonly code: number;
  readonly id: number;
  readonly data: Buffer;
}

export interface CpOption {
  readonly type: number;
  readonly data: Buffer;
}

export const CP_HEADER_LENGTH = 4;

export function encodeCpPacket(p: CpPacket): Buffer {
  const out = Buffer.allocUnsafe(CP_HEADER_LENGTH + p.data.length);
  out[0] = p.code;
  out[1] = p.id;
  out.writeUInt16BE(out.length, 2);
  p.data.copy(out, CP_HEADER_LENGTH);
  return out;
}

/**
 * Octets past Length are padding and ignored; a Length shorter than the header or longer than the packet
 * makes it malformed (RFC 1661 section 5). `data` is a view into `buf`, not a copy.
 */
export function decodeCpPacket(buf: Uint8Array): CpPacket {
  if (buf.length < CP_HEADER_LENGTH)
    throw new PppDecodeError('short-packet', `packet of ${buf.length} bytes`);
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.length);
  const length = b.readUInt16BE(2);
  if (length < CP_HEADER_LENGTH || length > b.length) {
    throw new PppDecodeError('bad-length', `Length ${length} in a packet of ${b.length} bytes`);
  }
  return { code: b[0], id: b[1], data: b.subarray(CP_HEADER_LENGTH, length) };
}

export function encodeOptions(options: readonly CpOption[]): Buffer {
  let total = 0;
  for (const o of options) total += 2 + o.data.length;
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  for (const o of options) {
    if (o.data.length > 253) throw new RangeError(`option ${o.type} too long`);
    out[at] = o.type;
    out[at + 1] = o.data.length + 2;
    o.data.copy(out, at + 2);
    at += 2 + o.data.length;
  }
  return out;
}

/** An option whose Length is below 2 or runs past the packet makes the whole list malformed. */
export function decodeOptions(buf: Buffer): CpOption[] {
  const out: CpOption[] = [];
  let at = 0;
  while (at < buf.length) {
    if (buf.length - at < 2) throw new PppDecodeError('bad-option-length', `truncated option at ${at}`);
    const length = buf[at + 1];
    if (length < 2 || at + length > buf.length) {
      throw new PppDecodeError('bad-option-length', `option ${buf[at]} has Length ${length} at ${at}`);
    }
    out.push({ type: buf[at], data: buf.subarray(at + 2, at + length) });
    at += length;
  }
  return out;
}

export function option(type: number, data: Uint8Array = Buffer.alloc(0)): CpOption {
  return { type, data: Buffer.from(data) };
}

export function u16Option(type: number, value: number): CpOption {
  const d = Buffer.allocUnsafe(2);
  d.writeUInt16BE(value);
  return { type, data: d };
}

export function u32Option(type: number, value: number): CpOption {
  const d = Buffer.allocUnsafe(4);
  d.writeUInt32BE(value >>> 0);
  return { type, data: d };
}

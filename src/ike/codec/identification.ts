/**
 * The Identification payload (RFC 2408 section 3.8, IPsec DOI layout RFC 2407 section 4.6.2) and NAT-OA
 * (RFC 3947 section 5.2), which carries an address in the same ID-type vocabulary.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { IdType, PayloadType } from './constants.js';
import { IkeDecodeError } from './errors.js';

export interface IdPayload {
  readonly type: typeof PayloadType.ID;
  readonly idType: number;
  readonly protocolId: number;
  readonly port: number;
  readonly data: Buffer;
}

export interface NatOaPayload {
  readonly type: typeof PayloadType.NatOA | typeof PayloadType.NatOADraft;
  readonly idType: number;
  readonly address: Buffer;
}

/** Writes the body at `off`; returns the offset after it (4 + data bytes). */
export function encodeIdBodyInto(p: IdPayload, b: Buffer, off: number): number {
  b[off] = p.idType;
  b[off + 1] = p.protocolId;
  b.writeUInt16BE(p.port, off + 2);
  b.set(p.data, off + 4);
  return off + 4 + p.data.length;
}

/** Fixed data lengths per ID type (RFC 2407 section 4.6.2.2 to .12); variable types are only non-empty. */
const FIXED_ID_LENGTH: Readonly<Record<number, number>> = {
  [IdType.Ipv4Addr]: 4,
  [IdType.Ipv4AddrSubnet]: 8,
  [IdType.Ipv4AddrRange]: 8,
  [IdType.Ipv6Addr]: 16,
  [IdType.Ipv6AddrSubnet]: 32,
  [IdType.Ipv6AddrRange]: 32,
};

function checkIdData(idType: number, data: Buffer): void {
  const want = FIXED_ID_LENGTH[idType];
  if (want !== undefined && data.length !== want) {
    throw new IkeDecodeError(`ID type ${idType} with ${data.length} bytes of data`);
  }
  if (want === undefined && data.length === 0) throw new IkeDecodeError(`empty ID of type ${idType}`);
}

export function decodeIdBody(body: Buffer): IdPayload {
  if (body.length < 4) throw new IkeDecodeError('ID payload shorter than its header');
  const data = Buffer.from(body.subarray(4));
  checkIdData(body[0], data);
  return { type: PayloadType.ID, idType: body[0], protocolId: body[1], port: body.readUInt16BE(2), data };
}

/** Writes the body at `off` (three reserved zero bytes after the ID type); returns the offset after it. */
export function encodeNatOaBodyInto(p: NatOaPayload, b: Buffer, off: number): number {
  b[off] = p.idType;
  b[off + 1] = 0;
  b[off + 2] = 0;
  b[off + 3] = 0;
  b.set(p.address, off + 4);
  return off + 4 + p.address.length;
}

export function decodeNatOaBody(body: Buffer, type: NatOaPayload['type']): NatOaPayload {
  if (body.length < 4) throw new IkeDecodeError('NAT-OA shorter than its header');
  const idType = body[0];
  const address = Buffer.from(body.subarray(4));
  if (idType !== IdType.Ipv4Addr && idType !== IdType.Ipv6Addr) {
    throw new IkeDecodeError(`NAT-OA ID type ${idType}`);
  }
  checkIdData(idType, address);
  return { type, idType, address };
}

/** An address in ID form: ID_IPV4_ADDR or ID_IPV6_ADDR data bytes. */
export function addressToIdData(address: string): { idType: number; data: Buffer } {
  const v = parsedAddress(address);
  // A copy: callers may keep or hand out the bytes.
  return { idType: v.idType, data: Buffer.from(v.data) };
}

/**
 * The address bytes of `address` without a copy, for hashing them on the spot (RFC 3947 NAT-D): the
 * buffer is shared by every caller, so it must never be kept or written.
 */
export function addressBytesShared(address: string): Buffer {
  return parsedAddress(address).data;
}

function parsedAddress(address: string): { idType: number; data: Buffer } {
  let v = parsed.get(address);
  if (!v) {
    if (isIPv4(address)) v = { idType: IdType.Ipv4Addr, data: Buffer.from(address.split('.').map(Number)) };
    else if (isIPv6(address)) v = { idType: IdType.Ipv6Addr, data: ipv6Bytes(address) };
    else throw new RangeError(`not an IP address: ${address}`);
    if (parsed.size >= 1024) parsed.clear();
    parsed.set(address, v);
  }
  return v;
}

/** Parsed addresses (a server sees few distinct ones; the bound keeps a scan from growing it). */
const parsed = new Map<string, { idType: number; data: Buffer }>();

/** The textual address of an ID_IPV4_ADDR / ID_IPV6_ADDR; undefined for other types. */
export function idDataToAddress(idType: number, data: Buffer): string | undefined {
  if (idType === IdType.Ipv4Addr && data.length === 4) return `${data[0]}.${data[1]}.${data[2]}.${data[3]}`;
  if (idType === IdType.Ipv6Addr && data.length === 16) {
    const parts: string[] = [];
    for (let i = 0; i < 16; i += 2) parts.push(data.readUInt16BE(i).toString(16));
    return parts.join(':');
  }
  return undefined;
}

function ipv6Bytes(address: string): Buffer {
  const [head, tail] = address.includes('::') ? address.split('::') : [address, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const b = Buffer.alloc(16);
  for (let i = 0; i < 8; i++) b.writeUInt16BE(Number.parseInt(groups[i] ?? '0', 16) & 0xffff, i * 2);
  return b;
}

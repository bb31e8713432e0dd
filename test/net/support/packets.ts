/**
 * Builders for the IPv4 packets the edge tests write into a TUN or raw socket, and a parser for what comes
 * back. RFC 791 (IPv4 header and checksum), RFC 792 (ICMP echo), RFC 768 (UDP).
 */
import { ipv4ToInt, readIpv4 } from '../../../src/net/ipv4-address.js';

/** RFC 1071 Internet checksum over buf[offset..offset+length). */
export function internetChecksum(buf: Uint8Array, offset: number, length: number, initial = 0): number {
  let sum = initial;
  for (let i = 0; i + 1 < length; i += 2) sum += (buf[offset + i] << 8) | buf[offset + i + 1];
  if (length & 1) sum += buf[offset + length - 1] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export function ipv4Header(
  buf: Buffer,
  protocol: number,
  src: string,
  dst: string,
  totalLength: number,
  ttl = 64,
): void {
  buf[0] = 0x45;
  buf[1] = 0;
  buf.writeUInt16BE(totalLength, 2);
  buf.writeUInt16BE(0, 4);
  buf.writeUInt16BE(0x4000, 6); // DF
  buf[8] = ttl;
  buf[9] = protocol;
  buf.writeUInt16BE(0, 10);
  buf.writeUInt32BE(ipv4ToInt(src), 12);
  buf.writeUInt32BE(ipv4ToInt(dst), 16);
  buf.writeUInt16BE(internetChecksum(buf, 0, 20), 10);
}

/** An ICMP echo request (type 8) from `src` to `dst`. */
export function icmpEcho(src: string, dst: string, id: number, seq: number, payload: Buffer): Buffer {
  const buf = Buffer.alloc(28 + payload.length);
  ipv4Header(buf, 1, src, dst, buf.length);
  buf[20] = 8;
  buf.writeUInt16BE(id, 24);
  buf.writeUInt16BE(seq, 26);
  payload.copy(buf, 28);
  buf.writeUInt16BE(internetChecksum(buf, 20, buf.length - 20), 22);
  return buf;
}

/** A UDP datagram in IPv4 (UDP checksum 0: allowed over IPv4, RFC 768). */
export function udpPacket(src: string, dst: string, sport: number, dport: number, payload: Buffer): Buffer {
  const buf = Buffer.alloc(28 + payload.length);
  ipv4Header(buf, 17, src, dst, buf.length);
  buf.writeUInt16BE(sport, 20);
  buf.writeUInt16BE(dport, 22);
  buf.writeUInt16BE(8 + payload.length, 24);
  payload.copy(buf, 28);
  return buf;
}

export interface ParsedIpv4 {
  protocol: number;
  src: number;
  dst: number;
  ttl: number;
  headerLength: number;
  totalLength: number;
}

export function parseIpv4(buf: Uint8Array, offset: number): ParsedIpv4 {
  return {
    protocol: buf[offset + 9],
    src: readIpv4(buf, offset + 12),
    dst: readIpv4(buf, offset + 16),
    ttl: buf[offset + 8],
    headerLength: (buf[offset] & 15) * 4,
    totalLength: (buf[offset + 2] << 8) | buf[offset + 3],
  };
}

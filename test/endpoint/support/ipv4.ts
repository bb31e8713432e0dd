/**
 * Real IPv4 packets for the data-path tests: an ICMP echo request (RFC 792) and a UDP datagram (RFC 768),
 * each behind a 20-byte IPv4 header (RFC 791 section 3.1) with correct checksums, so the bytes that come
 * out of the tunnel can be compared with what went in and checked by any IP stack.
 */
import { ipv4ToInt } from '../../../src/net/ipv4-address.js';

/** RFC 1071 ones'-complement sum of `buf[start, end)`, folded and complemented. */
export function internetChecksum(buf: Buffer, start = 0, end = buf.length, initial = 0): number {
  let sum = initial;
  for (let i = start; i + 1 < end; i += 2) sum += buf.readUInt16BE(i);
  if ((end - start) % 2 === 1) sum += buf[end - 1] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function ipv4Header(out: Buffer, protocol: number, src: string, dst: string, id: number): void {
  out[0] = 0x45;
  out[1] = 0;
  out.writeUInt16BE(out.length, 2);
  out.writeUInt16BE(id & 0xffff, 4);
  out.writeUInt16BE(0x4000, 6); // DF
  out[8] = 64;
  out[9] = protocol;
  out.writeUInt16BE(0, 10);
  out.writeUInt32BE(ipv4ToInt(src), 12);
  out.writeUInt32BE(ipv4ToInt(dst), 16);
  out.writeUInt16BE(internetChecksum(out, 0, 20), 10);
}

/** IPv4 + ICMP Echo Request (type 8) with `payload`. */
export function icmpEcho(src: string, dst: string, seq: number, payload: Buffer, id = 0x1234): Buffer {
  const out = Buffer.alloc(20 + 8 + payload.length);
  ipv4Header(out, 1, src, dst, seq);
  out[20] = 8;
  out[21] = 0;
  out.writeUInt16BE(id, 24);
  out.writeUInt16BE(seq & 0xffff, 26);
  payload.copy(out, 28);
  out.writeUInt16BE(internetChecksum(out, 20, out.length), 22);
  return out;
}

/** IPv4 + UDP with the RFC 768 pseudo-header checksum. */
export function udpPacket(
  src: string,
  dst: string,
  srcPort: number,
  dstPort: number,
  payload: Buffer,
): Buffer {
  const out = Buffer.alloc(20 + 8 + payload.length);
  ipv4Header(out, 17, src, dst, srcPort ^ dstPort);
  out.writeUInt16BE(srcPort, 20);
  out.writeUInt16BE(dstPort, 22);
  out.writeUInt16BE(8 + payload.length, 24);
  payload.copy(out, 28);
  const pseudo = Buffer.alloc(12);
  out.copy(pseudo, 0, 12, 20);
  pseudo[9] = 17;
  pseudo.writeUInt16BE(8 + payload.length, 10);
  const partial = ~internetChecksum(pseudo) & 0xffff;
  const sum = internetChecksum(out, 20, out.length, partial);
  out.writeUInt16BE(sum === 0 ? 0xffff : sum, 26);
  return out;
}

/** RFC 9293 checksum over the pseudo-header and the whole TCP segment of an IPv4 packet (0 when valid). */
export function tcpChecksum(pkt: Buffer): number {
  const ihl = (pkt[0] & 0x0f) * 4;
  const tcpLength = pkt.readUInt16BE(2) - ihl;
  const pseudo = Buffer.alloc(12);
  pkt.copy(pseudo, 0, 12, 20);
  pseudo[9] = 6;
  pseudo.writeUInt16BE(tcpLength, 10);
  const partial = ~internetChecksum(pseudo) & 0xffff;
  return internetChecksum(pkt, ihl, ihl + tcpLength, partial);
}

/** IPv4 + TCP SYN carrying `options` (e.g. MSS: 02 04 hi lo), checksums set. */
export function tcpSyn(src: string, dst: string, options: readonly number[]): Buffer {
  const padded = [...options];
  while (padded.length % 4 !== 0) padded.push(0);
  const out = Buffer.alloc(20 + 20 + padded.length);
  ipv4Header(out, 6, src, dst, 0x5151);
  out.writeUInt16BE(40001, 20);
  out.writeUInt16BE(80, 22);
  out.writeUInt32BE(0x01020304, 24);
  out[32] = ((20 + padded.length) / 4) << 4;
  out[33] = 0x02; // SYN
  out.writeUInt16BE(64240, 34);
  Buffer.from(padded).copy(out, 40);
  out.writeUInt16BE(0, 36);
  out.writeUInt16BE(tcpChecksum(out), 36);
  return out;
}

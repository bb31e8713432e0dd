import { describe, expect, it } from 'vitest';
import { clampTcpMss } from '../../src/endpoint/mss-clamp.js';

/** RFC 1071 one's complement sum over the TCP pseudo-header and segment. */
function tcpChecksum(pkt: Buffer): number {
  const ihl = (pkt[0] & 15) * 4;
  const tcpLen = pkt.readUInt16BE(2) - ihl;
  const pseudo = Buffer.alloc(12);
  pkt.copy(pseudo, 0, 12, 20);
  pseudo[9] = 6;
  pseudo.writeUInt16BE(tcpLen, 10);
  const data = Buffer.concat([pseudo, pkt.subarray(ihl, ihl + tcpLen)]);
  let sum = 0;
  for (let i = 0; i < data.length; i += 2) sum += (data[i] << 8) | (i + 1 < data.length ? data[i + 1] : 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** An IPv4 TCP segment with the given flags and options, its checksum set. */
function segment(flags: number, options: number[]): Buffer {
  const opts = Buffer.from(options);
  const tcpLen = 20 + opts.length;
  const pkt = Buffer.alloc(20 + tcpLen);
  pkt[0] = 0x45;
  pkt.writeUInt16BE(pkt.length, 2);
  pkt[8] = 64;
  pkt[9] = 6;
  Buffer.from([192, 168, 42, 10, 10, 1, 2, 3]).copy(pkt, 12);
  pkt.writeUInt16BE(40000, 20);
  pkt.writeUInt16BE(5201, 22);
  pkt.writeUInt32BE(0x01020304, 24);
  pkt[32] = (tcpLen / 4) << 4;
  pkt[33] = flags;
  pkt.writeUInt16BE(64240, 34);
  opts.copy(pkt, 40);
  pkt.writeUInt16BE(tcpChecksum(pkt), 36);
  expect(tcpChecksum(pkt)).toBe(0);
  return pkt;
}

const SYN = 0x02;
const ACK = 0x10;

describe('TCP MSS clamping (RFC 9293 s3.7.1, checksum per RFC 1624)', () => {
  it('lowers the MSS of a SYN and keeps the checksum valid', () => {
    const pkt = segment(SYN, [2, 4, 0x05, 0xb4, 1, 1, 4, 2]); // MSS 1460, NOP NOP SACK-permitted
    expect(clampTcpMss(pkt, 0, pkt.length, 1360)).toBe(true);
    expect(pkt.readUInt16BE(42)).toBe(1360);
    expect(tcpChecksum(pkt)).toBe(0);
  });

  it('handles an MSS option at an odd offset (after one NOP)', () => {
    const pkt = segment(SYN | ACK, [1, 2, 4, 0x23, 0x28, 1, 1, 1]); // NOP, MSS 9000, NOPs
    expect(clampTcpMss(pkt, 0, pkt.length, 1360)).toBe(true);
    expect(pkt.readUInt16BE(43)).toBe(1360);
    expect(tcpChecksum(pkt)).toBe(0);
  });

  it('leaves smaller MSS values, non-SYN segments and malformed options alone', () => {
    const small = segment(SYN, [2, 4, 0x04, 0x00]);
    expect(clampTcpMss(small, 0, small.length, 1360)).toBe(false);
    const ack = segment(ACK, [2, 4, 0x05, 0xb4]);
    const before = Buffer.from(ack);
    expect(clampTcpMss(ack, 0, ack.length, 1360)).toBe(false);
    expect(ack).toEqual(before);
    const bad = segment(SYN, [2, 9, 0x05, 0xb4]); // option length past the header
    expect(clampTcpMss(bad, 0, bad.length, 1360)).toBe(false);
  });

  it('works at an offset inside a larger buffer', () => {
    const pkt = segment(SYN, [2, 4, 0x05, 0xb4]);
    const big = Buffer.concat([Buffer.alloc(30), pkt]);
    expect(clampTcpMss(big, 30, pkt.length, 1200)).toBe(true);
    expect(tcpChecksum(big.subarray(30))).toBe(0);
  });
});

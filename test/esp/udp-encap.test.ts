import { describe, expect, it } from 'vitest';
import {
  adjustChecksumForAddresses,
  fixTransportChecksum,
  ipv4Bytes,
  transportChecksum,
} from '../../src/esp/nat-checksum.js';
import {
  classifyEncapsulated,
  decodeNonEspMarked,
  encodeNatKeepalive,
  encodeNonEspMarked,
} from '../../src/esp/udp-encap.js';

const hex = (s: string) => Buffer.from(s, 'hex');

describe('RFC 3948 UDP encapsulation framing', () => {
  const ikeHeader = hex(`${'11'.repeat(8)}${'00'.repeat(8)}0110020000000000000000${'1c'}`); // 28-byte ISAKMP header

  it('demultiplexes by the non-ESP marker (section 2.2), keep-alives (2.3) and ESP (2.1)', () => {
    const marked = encodeNonEspMarked(ikeHeader);
    expect(marked.subarray(0, 4).toString('hex')).toBe('00000000');
    expect(marked.subarray(4).equals(ikeHeader)).toBe(true);
    expect(classifyEncapsulated(marked, 0, marked.length)).toBe('ike');
    expect(decodeNonEspMarked(marked).equals(ikeHeader)).toBe(true);

    const ka = encodeNatKeepalive();
    expect(ka.toString('hex')).toBe('ff');
    expect(classifyEncapsulated(ka, 0, 1)).toBe('keepalive');

    const esp = hex('0000432100000001e96e8c08ab465763');
    expect(classifyEncapsulated(esp, 0, esp.length)).toBe('esp');
    // Offsets into a bigger receive buffer.
    const big = Buffer.concat([Buffer.alloc(3, 0xaa), esp]);
    expect(classifyEncapsulated(big, 3, esp.length)).toBe('esp');
  });

  it('calls runts and malformed payloads invalid rather than guessing', () => {
    expect(classifyEncapsulated(hex('00'), 0, 1)).toBe('invalid'); // one byte that is not 0xFF
    expect(classifyEncapsulated(hex('000000'), 0, 3)).toBe('invalid');
    expect(classifyEncapsulated(hex('0000000001020304'), 0, 8)).toBe('invalid'); // marker + no IKE header
    expect(classifyEncapsulated(hex('00000001000000'), 0, 7)).toBe('invalid'); // shorter than SPI + seq
    expect(classifyEncapsulated(Buffer.alloc(0), 0, 0)).toBe('invalid');
    expect(() => decodeNonEspMarked(hex('0000432100000001'))).toThrow(RangeError);
  });
});

describe('inner checksum fix after NAT (RFC 3948 section 3.1.2)', () => {
  // An L2TP-ish UDP datagram 1701 -> 1701. Golden checksums computed independently (Python, RFC 1071).
  const udpNoSum = '06a506a5001c0000c802001400000000000000000008000000000006';
  const clientPrivate = ipv4Bytes('192.168.1.10'); // NAT-OAi: what the client put in its pseudo-header
  const server = ipv4Bytes('203.0.113.5');
  const natPublic = ipv4Bytes('198.51.100.7'); // what the outer header shows us

  it('computes UDP and TCP checksums over the IPv4 pseudo-header (RFC 768, RFC 793)', () => {
    const udp = hex(udpNoSum);
    expect(transportChecksum(udp, 0, udp.length, 17, clientPrivate, server)).toBe(0x2c8f);
    expect(transportChecksum(udp, 0, udp.length, 17, natPublic, server)).toBe(0xc406);
    const tcp = hex('9c40005000000001000000005002200000000000');
    expect(transportChecksum(tcp, 0, tcp.length, 6, clientPrivate, server)).toBe(0xf598);
  });

  it('incremental update (RFC 1624 eqn. 3) turns the peer-side checksum into ours, byte for byte', () => {
    const udp = hex(udpNoSum);
    udp.writeUInt16BE(0x2c8f, 6); // as the client sent it
    const original = { originalSrc: clientPrivate, originalDst: server };
    expect(fixTransportChecksum(udp, 0, udp.length, 17, original, natPublic, server, 'incremental')).toBe(
      true,
    );
    expect(udp.toString('hex')).toBe(`${udpNoSum.slice(0, 12)}c406${udpNoSum.slice(16)}`);
    // Both addresses changed (NAT-OAr too), into the same result a full recompute gives.
    const udp2 = hex(udpNoSum);
    udp2.writeUInt16BE(0x2c8f, 6);
    fixTransportChecksum(udp2, 0, udp2.length, 17, original, natPublic, ipv4Bytes('10.9.8.7'), 'incremental');
    expect(udp2.readUInt16BE(6)).toBe(0xedfc);
    expect(adjustChecksumForAddresses(0xf598, clientPrivate, server, natPublic, server)).toBe(0x8d10);
  });

  it('recomputes, zeroes (UDP only), and leaves a zero UDP checksum alone', () => {
    const original = { originalSrc: clientPrivate, originalDst: server };
    const a = hex(udpNoSum);
    a.writeUInt16BE(0x1234, 6); // garbage: recompute ignores it
    fixTransportChecksum(a, 0, a.length, 17, original, natPublic, server, 'recompute');
    expect(a.readUInt16BE(6)).toBe(0xc406);
    const b = hex(udpNoSum);
    b.writeUInt16BE(0x2c8f, 6);
    fixTransportChecksum(b, 0, b.length, 17, original, natPublic, server, 'zero');
    expect(b.readUInt16BE(6)).toBe(0);
    const c = hex(udpNoSum); // checksum 0 = none sent (RFC 768): stays 0
    fixTransportChecksum(c, 0, c.length, 17, original, natPublic, server, 'incremental');
    expect(c.readUInt16BE(6)).toBe(0);
    const tcp = hex('9c40005000000001000000005002200000000000');
    expect(fixTransportChecksum(tcp, 0, tcp.length, 6, original, natPublic, server, 'zero')).toBe(false);
    expect(fixTransportChecksum(hex('0102'), 0, 2, 17, original, natPublic, server, 'recompute')).toBe(false);
    expect(fixTransportChecksum(hex(udpNoSum), 0, 28, 1, original, natPublic, server, 'recompute')).toBe(
      false,
    );
  });

  it('parses dotted quads strictly', () => {
    expect([...ipv4Bytes('10.0.0.255')]).toEqual([10, 0, 0, 255]);
    for (const bad of ['10.0.0', '10.0.0.256', '1.2.3.4.5', 'a.b.c.d', '1.2.3.-4', '::1']) {
      expect(() => ipv4Bytes(bad)).toThrow(RangeError);
    }
  });
});

import { md5 } from '@noble/hashes/legacy.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CHAP_CODE, decodeChapPacket, encodeChapPacket } from '../../src/ppp/chap.js';
import { ChapPeer } from '../../src/ppp/chap-peer.js';
import {
  encodePppFrame,
  PppFrameView,
  parsePppFrame,
  prependPppHeader,
  writePppHeader,
} from '../../src/ppp/frame.js';
import {
  decodeMsChapV2Response,
  encodeMsChapV2Response,
  formatFailureMessage,
  parseFailureMessage,
  parseSuccessMessage,
} from '../../src/ppp/mschapv2-messages.js';
import { decodeCpPacket, encodeCpPacket, PppDecodeError } from '../../src/ppp/packet.js';
import { decodePapPacket, encodePapPacket, PAP_CODE } from '../../src/ppp/pap.js';

describe('control packet codec (RFC 1661 s5)', () => {
  it('golden: Configure-Request id 1 with MRU 1400', () => {
    const b = encodeCpPacket({ code: 1, id: 1, data: Buffer.from('01040578', 'hex') });
    expect(b.toString('hex')).toBe('0101000801040578');
  });
  it('octets past Length are padding', () => {
    const p = decodeCpPacket(Buffer.from('0101000801040578000000', 'hex'));
    expect(p.data.toString('hex')).toBe('01040578');
  });
  it('round-trips', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 255 }),
        fc.uint8Array(),
        (code, id, d) => {
          const p = decodeCpPacket(encodeCpPacket({ code, id, data: Buffer.from(d) }));
          return p.code === code && p.id === id && p.data.equals(Buffer.from(d));
        },
      ),
    );
  });
  it('throws a typed error on a Length below the header', () => {
    expect(() => decodeCpPacket(Buffer.from('01010003', 'hex'))).toThrow(PppDecodeError);
  });
});

describe('CHAP codec (RFC 1994 s4)', () => {
  it('golden Challenge and Success', () => {
    const c = encodeChapPacket({
      code: CHAP_CODE.CHALLENGE,
      id: 7,
      value: Buffer.from('00112233', 'hex'),
      name: 'gw',
    });
    expect(c.toString('hex')).toBe('0107000b04001122336777');
    expect(decodeChapPacket(c)).toEqual({
      code: 1,
      id: 7,
      value: Buffer.from('00112233', 'hex'),
      name: 'gw',
    });
    const s = encodeChapPacket({ code: CHAP_CODE.SUCCESS, id: 7, message: 'ok' });
    expect(s.toString('hex')).toBe('030700066f6b');
    expect(decodeChapPacket(s)).toEqual({ code: 3, id: 7, message: 'ok' });
  });
  it('rejects a Value-Size running past the packet', () => {
    expect(() => decodeChapPacket(Buffer.from('0107000610aa', 'hex'))).toThrow(PppDecodeError);
  });
  it('CHAP-MD5 Response = MD5(id | secret | challenge), cross-checked with @noble/hashes', () => {
    const peer = new ChapPeer({
      method: 'chap-md5',
      user: 'alice',
      password: 'wonderland',
      rng: () => Buffer.alloc(0),
    });
    const challenge = Buffer.from('0123456789abcdeffedcba9876543210', 'hex');
    const [a] = peer.receive(encodeChapPacket({ code: 1, id: 0x42, value: challenge, name: 'srv' }), 0);
    if (a.type !== 'send') throw new Error('no response');
    const expected = Buffer.from(md5(Buffer.concat([Buffer.of(0x42), Buffer.from('wonderland'), challenge])));
    expect(a.packet.toString('hex')).toBe(
      Buffer.concat([Buffer.from('0242001a10', 'hex'), expected, Buffer.from('alice')]).toString('hex'),
    );
  });
});

describe('PAP codec (RFC 1334 s2.2)', () => {
  it('golden Authenticate-Request and -Ack', () => {
    const r = encodePapPacket({ code: PAP_CODE.REQUEST, id: 1, peerId: 'al', password: 'pw' });
    expect(r.toString('hex')).toBe('0101000a02616c027077');
    expect(decodePapPacket(r)).toEqual({ code: 1, id: 1, peerId: 'al', password: 'pw' });
    const a = encodePapPacket({ code: PAP_CODE.ACK, id: 1, message: '' });
    expect(a.toString('hex')).toBe('0201000500');
  });
  it('rejects a Passwd-Length running past the packet', () => {
    expect(() => decodePapPacket(Buffer.from('0101000702616c05', 'hex'))).toThrow(PppDecodeError);
  });
});

describe('MS-CHAPv2 messages (RFC 2759 s4-6)', () => {
  it('Response value layout', () => {
    const v = encodeMsChapV2Response({
      peerChallenge: Buffer.alloc(16, 1),
      ntResponse: Buffer.alloc(24, 2),
      flags: 0,
    });
    expect(v.length).toBe(49);
    expect(v.subarray(16, 24).equals(Buffer.alloc(8))).toBe(true);
    expect(decodeMsChapV2Response(v)).toEqual({
      peerChallenge: Buffer.alloc(16, 1),
      ntResponse: Buffer.alloc(24, 2),
      flags: 0,
    });
    expect(decodeMsChapV2Response(Buffer.alloc(48))).toBeUndefined();
  });
  it('Success and Failure messages', () => {
    expect(parseSuccessMessage('S=407a5589115fd0d6209f510fe9c04566932cda56 M=hi')).toBe(
      'S=407A5589115FD0D6209F510FE9C04566932CDA56',
    );
    expect(parseSuccessMessage('S=407A M=short')).toBeUndefined();
    const msg = formatFailureMessage({
      error: 691,
      retry: false,
      challenge: Buffer.alloc(16, 0xab),
      version: 3,
      text: 'no',
    });
    expect(msg).toBe(`E=691 R=0 C=${'AB'.repeat(16)} V=3 M=no`);
    expect(parseFailureMessage(msg)).toEqual({
      error: 691,
      retry: false,
      challenge: Buffer.alloc(16, 0xab),
      version: 3,
      text: 'no',
    });
    expect(parseFailureMessage('garbage')).toBeUndefined();
  });
});

describe('PPP header on the data path', () => {
  const view = new PppFrameView();
  it('parses FF 03 + protocol, bare protocol, and a PFC-compressed protocol', () => {
    expect(parsePppFrame(Buffer.from('ff03002145', 'hex'), 0, 5, view)).toBe(true);
    expect([view.protocol, view.offset]).toEqual([0x21, 4]);
    expect(parsePppFrame(Buffer.from('c02101', 'hex'), 0, 3, view)).toBe(true);
    expect([view.protocol, view.offset]).toEqual([0xc021, 2]);
    expect(parsePppFrame(Buffer.from('ff032145', 'hex'), 0, 4, view)).toBe(true);
    expect([view.protocol, view.offset]).toEqual([0x21, 3]);
    expect(parsePppFrame(Buffer.from('2145', 'hex'), 0, 2, view)).toBe(true);
    expect([view.protocol, view.offset]).toEqual([0x21, 1]);
  });
  it('refuses an even low protocol octet and an empty frame', () => {
    expect(parsePppFrame(Buffer.from('ff030020', 'hex'), 0, 4, view)).toBe(false);
    expect(parsePppFrame(Buffer.from('ff03', 'hex'), 0, 2, view)).toBe(false);
  });
  it('writes in place, PFC- and ACFC-aware, and prepends into headroom', () => {
    const buf = Buffer.alloc(8);
    expect(writePppHeader(buf, 0, 0x21, { addressControl: true, compressProtocol: false })).toBe(4);
    expect(buf.subarray(0, 4).toString('hex')).toBe('ff030021');
    expect(writePppHeader(buf, 0, 0x21, { addressControl: false, compressProtocol: true })).toBe(1);
    expect(buf[0]).toBe(0x21);
    // LCP never compresses: protocol >= 0x100 keeps two octets.
    expect(writePppHeader(buf, 0, 0xc021, { addressControl: true, compressProtocol: true })).toBe(4);
    const pkt = Buffer.alloc(10);
    pkt.write('4500', 4, 'hex');
    const start = prependPppHeader(pkt, 4, 0x21, { addressControl: true, compressProtocol: false });
    expect(start).toBe(0);
    expect(pkt.subarray(0, 6).toString('hex')).toBe('ff0300214500');
    expect(() => prependPppHeader(pkt, 2, 0x21, { addressControl: true, compressProtocol: false })).toThrow(
      RangeError,
    );
    expect(encodePppFrame(0xc021, Buffer.from('01', 'hex')).toString('hex')).toBe('ff03c02101');
  });
});

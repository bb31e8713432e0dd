import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type DataAttribute, decodeAttributes, encodeAttributes } from '../../src/ike/codec/attributes.js';
import { IdType, NotifyType, PayloadType } from '../../src/ike/codec/constants.js';
import { IkeDecodeError } from '../../src/ike/codec/errors.js';
import { decodeHeader, encodeHeader } from '../../src/ike/codec/header.js';
import { addressToIdData, idDataToAddress } from '../../src/ike/codec/identification.js';
import { decodeMessage, encodeMessage } from '../../src/ike/codec/message.js';
import { decodePayloads, encodePayloads, type Payload } from '../../src/ike/codec/payloads.js';
import type { SaPayload } from '../../src/ike/codec/sa.js';
import vectors from '../../vectors/ike-isakmp.json' with { type: 'json' };

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function notifyOf(f: () => unknown): number | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof IkeDecodeError) return e.notify;
    throw e;
  }
  return undefined;
}

describe('ISAKMP header (RFC 2408 s3.1)', () => {
  it('encodes byte-exact and round-trips', () => {
    const h = {
      initiatorCookie: hex('0102030405060708'),
      responderCookie: hex('1112131415161718'),
      nextPayload: 8,
      version: 0x10,
      exchangeType: 32,
      flags: 1,
      messageId: 0xdeadbeef,
      length: 28,
    };
    const b = encodeHeader(h);
    expect(b.toString('hex')).toBe(
      '0102030405060708' + '1112131415161718' + '08' + '10' + '20' + '01' + 'deadbeef' + '0000001c',
    );
    expect(decodeHeader(b)).toEqual(h);
  });

  it('refuses a short datagram, a wrong major version and a length that disagrees', () => {
    expect(notifyOf(() => decodeHeader(Buffer.alloc(27)))).toBe(NotifyType.PayloadMalformed);
    const b = encodeHeader({
      initiatorCookie: Buffer.alloc(8, 1),
      responderCookie: Buffer.alloc(8),
      nextPayload: 0,
      version: 0x20,
      exchangeType: 2,
      flags: 0,
      messageId: 0,
      length: 28,
    });
    expect(notifyOf(() => decodeHeader(b))).toBe(NotifyType.InvalidMajorVersion);
    b[17] = 0x10;
    expect(notifyOf(() => decodeHeader(Buffer.concat([b, Buffer.alloc(1)])))).toBe(
      NotifyType.UnequalPayloadLengths,
    );
  });
});

describe('data attributes (RFC 2408 s3.3)', () => {
  it('TV and TLV forms byte-exact', () => {
    const attrs: DataAttribute[] = [
      { type: 1, value: 7 },
      { type: 12, value: hex('00015180') },
    ];
    expect(encodeAttributes(attrs).toString('hex')).toBe('80010007' + '000c0004' + '00015180');
    expect(decodeAttributes(encodeAttributes(attrs))).toEqual(attrs);
  });
  it('a TLV that overruns is malformed', () => {
    expect(notifyOf(() => decodeAttributes(hex('000c0008 00015180')))).toBe(NotifyType.PayloadMalformed);
    expect(notifyOf(() => decodeAttributes(hex('8001')))).toBe(NotifyType.PayloadMalformed);
  });
});

describe('captured ike-scan messages (vectors/ike-isakmp.json)', () => {
  for (const v of vectors.vectors) {
    it(`${v.name}: decodes and re-encodes byte for byte`, () => {
      const raw = hex(v.hex);
      const m = decodeMessage(raw);
      expect(m.header.exchangeType).toBe(v.exchangeType);
      expect(m.chain.payloads.map((p) => p.type)).toEqual(v.payloadTypes);
      const sa = m.chain.payloads[0] as SaPayload;
      expect(sa.proposals[0].transforms).toHaveLength(v.transforms);
      expect(encodeMessage(m.header, m.chain.payloads).equals(raw)).toBe(true);
    });
  }

  it('the aggressive-mode capture carries ID_USER_FQDN vpn@example.com and a 128-byte MODP1024 KE', () => {
    const m = decodeMessage(hex(vectors.vectors[1].hex));
    const id = m.chain.payloads.find((p) => p.type === PayloadType.ID);
    expect(id).toMatchObject({ idType: IdType.UserFqdn });
    expect(id && 'data' in id && id.data.toString()).toBe('vpn@example.com');
    const ke = m.chain.payloads.find((p) => p.type === PayloadType.KE);
    expect(ke && 'data' in ke && ke.data.length).toBe(128);
  });

  it('every truncation of a capture is refused with a typed error, never a crash', () => {
    for (const v of vectors.vectors) {
      const raw = hex(v.hex);
      for (let n = 0; n < raw.length; n++) {
        const cut = Buffer.from(raw.subarray(0, n));
        if (n >= 28) cut.writeUInt32BE(n, 24); // header length consistent: the payload chain must catch it
        expect(() => decodeMessage(cut)).toThrow(IkeDecodeError);
      }
    }
  });
});

/** Hand-assembled from the RFC field layouts; each hex string is annotated field by field. */
const GOLDEN: { name: string; payload: Payload; body: string }[] = [
  {
    name: 'ID_IPV4_ADDR udp/1701 (RFC 2407 s4.6.2)',
    payload: { type: PayloadType.ID, idType: 1, protocolId: 17, port: 1701, data: hex('c0000201') },
    body: '01 11 06a5 c0000201',
  },
  {
    name: 'ID_FQDN (RFC 2407 s4.6.2.4)',
    payload: { type: PayloadType.ID, idType: 2, protocolId: 0, port: 0, data: Buffer.from('vpn.example') },
    body: `02 00 0000 ${Buffer.from('vpn.example').toString('hex')}`,
  },
  {
    name: 'ID_IPV6_ADDR (RFC 2407 s4.6.2.7)',
    payload: {
      type: PayloadType.ID,
      idType: 5,
      protocolId: 17,
      port: 500,
      data: hex('20010db8000000000000000000000001'),
    },
    body: '05 11 01f4 20010db8000000000000000000000001',
  },
  {
    name: 'ID_DER_ASN1_DN (RFC 2407 s4.6.2.9)',
    payload: { type: PayloadType.ID, idType: 9, protocolId: 0, port: 0, data: hex('3000') },
    body: '09 00 0000 3000',
  },
  {
    name: 'N(INITIAL-CONTACT) with the ISAKMP SPI (RFC 2408 s3.14, RFC 2407 s4.6.3.3)',
    payload: {
      type: PayloadType.N,
      doi: 1,
      protocolId: 1,
      notifyType: 24578,
      spi: hex('0102030405060708a1a2a3a4a5a6a7a8'),
      data: Buffer.alloc(0),
    },
    body: '00000001 01 10 6002 0102030405060708a1a2a3a4a5a6a7a8',
  },
  {
    name: 'N(R-U-THERE) seq 7 (RFC 3706 s5)',
    payload: {
      type: PayloadType.N,
      doi: 1,
      protocolId: 1,
      notifyType: 36136,
      spi: hex('0102030405060708a1a2a3a4a5a6a7a8'),
      data: hex('00000007'),
    },
    body: '00000001 01 10 8d28 0102030405060708a1a2a3a4a5a6a7a8 00000007',
  },
  {
    name: 'D of two ESP SPIs (RFC 2408 s3.15)',
    payload: {
      type: PayloadType.D,
      doi: 1,
      protocolId: 3,
      spiSize: 4,
      spis: [hex('c0ffee01'), hex('c0ffee02')],
    },
    body: '00000001 03 04 0002 c0ffee01 c0ffee02',
  },
  {
    name: 'NAT-D (RFC 3947 s3.2)',
    payload: { type: PayloadType.NatD, data: hex('00112233445566778899aabbccddeeff00112233') },
    body: '00112233445566778899aabbccddeeff00112233',
  },
  {
    name: 'NAT-OA IPv4, RFC 3947 s5.2',
    payload: { type: PayloadType.NatOA, idType: 1, address: hex('0a000002') },
    body: '01 000000 0a000002',
  },
  {
    name: 'NAT-OA draft type 131',
    payload: { type: PayloadType.NatOADraft, idType: 1, address: hex('0a000002') },
    body: '01 000000 0a000002',
  },
  {
    name: 'CERT X.509 signature (RFC 2408 s3.9, encoding 4)',
    payload: { type: PayloadType.CERT, encoding: 4, data: hex('3082') },
    body: '04 3082',
  },
  {
    name: 'CR X.509 without authority (RFC 2408 s3.10)',
    payload: { type: PayloadType.CR, encoding: 4, data: Buffer.alloc(0) },
    body: '04',
  },
  { name: 'SIG (RFC 2408 s3.12)', payload: { type: PayloadType.SIG, data: hex('abcdef') }, body: 'abcdef' },
  { name: 'HASH (RFC 2408 s3.11)', payload: { type: PayloadType.HASH, data: hex('0102') }, body: '0102' },
  {
    name: 'SA: one ISAKMP proposal, one transform (RFC 2408 s3.4-3.6)',
    payload: {
      type: PayloadType.SA,
      doi: 1,
      situation: 1,
      proposals: [
        {
          number: 1,
          protocolId: 1,
          spi: Buffer.alloc(0),
          transforms: [{ number: 1, id: 1, attributes: [{ type: 1, value: 7 }] }],
        },
      ],
    },
    body: '00000001 00000001 ' + '00 00 0014 01 01 00 01 ' + '00 00 000c 01 01 0000 80010007',
  },
];

describe('payload codecs, golden bytes', () => {
  for (const g of GOLDEN) {
    it(g.name, () => {
      const chain = encodePayloads([g.payload]);
      const body = hex(g.body);
      expect(chain.subarray(4).toString('hex')).toBe(body.toString('hex'));
      expect(chain.readUInt16BE(2)).toBe(body.length + 4);
      expect(decodePayloads(g.payload.type, chain).payloads[0]).toEqual(g.payload);
    });
  }

  it('chains set each next-payload field and the decoder reports offsets', () => {
    const ps = GOLDEN.map((g) => g.payload);
    const b = encodePayloads(ps);
    const d = decodePayloads(ps[0].type, b);
    expect(d.payloads).toEqual(ps);
    expect(d.end).toBe(b.length);
    for (let i = 0; i + 1 < ps.length; i++) expect(b[d.offsets[i]]).toBe(ps[i + 1].type);
  });

  it('typed errors: unknown payload type, bad lengths, bad nesting, DOI, trailing bytes', () => {
    expect(notifyOf(() => decodePayloads(99, hex('00000004')))).toBe(NotifyType.InvalidPayloadType);
    expect(notifyOf(() => decodePayloads(PayloadType.HASH, hex('00000003')))).toBe(
      NotifyType.PayloadMalformed,
    );
    expect(notifyOf(() => decodePayloads(PayloadType.HASH, hex('00000009 0102')))).toBe(
      NotifyType.PayloadMalformed,
    );
    expect(notifyOf(() => decodePayloads(PayloadType.HASH, hex('00000006 0102 ff')))).toBe(
      NotifyType.PayloadMalformed,
    );
    expect(decodePayloads(PayloadType.HASH, hex('00000006 0102 00'), true).end).toBe(6);
    // SA with DOI 2, then a transform count that disagrees with the chain.
    expect(notifyOf(() => decodePayloads(PayloadType.SA, hex('0000000c 00000002 00000001')))).toBe(
      NotifyType.DoiNotSupported,
    );
    const sa = encodePayloads([GOLDEN[GOLDEN.length - 1].payload]);
    sa[4 + 8 + 7] = 2;
    expect(notifyOf(() => decodePayloads(PayloadType.SA, sa))).toBe(NotifyType.BadProposalSyntax);
    // A nonce shorter than 8 bytes (RFC 2409 s5), an IPv4 ID with 3 address bytes.
    expect(notifyOf(() => decodePayloads(PayloadType.NONCE, hex('00000008 01020304')))).toBe(
      NotifyType.PayloadMalformed,
    );
    expect(notifyOf(() => decodePayloads(PayloadType.ID, hex('0000000b 01110000 0a0000')))).toBe(
      NotifyType.PayloadMalformed,
    );
    expect(notifyOf(() => decodePayloads(PayloadType.D, hex('0000000d 00000001 0304 0002 01')))).toBe(
      NotifyType.PayloadMalformed,
    );
  });

  it('address helpers round-trip IPv4 and IPv6', () => {
    expect(addressToIdData('192.0.2.1').data.toString('hex')).toBe('c0000201');
    expect(idDataToAddress(1, hex('c0000201'))).toBe('192.0.2.1');
    const v6 = addressToIdData('2001:db8::1');
    expect(v6.data.toString('hex')).toBe('20010db8000000000000000000000001');
    expect(idDataToAddress(5, v6.data)).toBe('2001:db8:0:0:0:0:0:1');
  });
});

describe('fuzz: random bytes never escape as anything but IkeDecodeError', () => {
  it('decodePayloads on arbitrary input', () => {
    const types = [1, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 20, 21, 130, 131, 0, 2, 99];
    fc.assert(
      fc.property(fc.constantFrom(...types), fc.uint8Array({ maxLength: 200 }), (t, bytes) => {
        try {
          decodePayloads(t, Buffer.from(bytes), true);
        } catch (e) {
          expect(e).toBeInstanceOf(IkeDecodeError);
        }
      }),
      { numRuns: 3000 },
    );
  });
  it('round trip of random SA payloads', () => {
    const attr = fc.oneof(
      fc.record({ type: fc.integer({ min: 0, max: 0x7fff }), value: fc.integer({ min: 0, max: 0xffff }) }),
      fc.record({
        type: fc.integer({ min: 0, max: 0x7fff }),
        value: fc.uint8Array({ maxLength: 8 }).map((u) => Buffer.from(u)),
      }),
    );
    const transform = fc.record({
      number: fc.integer({ min: 0, max: 255 }),
      id: fc.integer({ min: 0, max: 255 }),
      attributes: fc.array(attr, { maxLength: 5 }),
    });
    const proposal = fc.record({
      number: fc.integer({ min: 0, max: 255 }),
      protocolId: fc.integer({ min: 0, max: 255 }),
      spi: fc.uint8Array({ maxLength: 16 }).map((u) => Buffer.from(u)),
      transforms: fc.array(transform, { minLength: 1, maxLength: 4 }),
    });
    fc.assert(
      fc.property(fc.array(proposal, { minLength: 1, maxLength: 3 }), (proposals) => {
        const sa: SaPayload = { type: PayloadType.SA, doi: 1, situation: 1, proposals };
        const b = encodePayloads([sa]);
        expect(decodePayloads(PayloadType.SA, b).payloads[0]).toEqual(sa);
      }),
      { numRuns: 300 },
    );
  });
});

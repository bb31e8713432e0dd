/**
 * The in-place encoders (one buffer per message instead of one per payload) must write exactly the bytes
 * of the allocating encoders, whatever the buffer held before and at any offset; and a chain decoded from
 * a buffer the caller owns may share its bytes, while one decoded from a datagram never does.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PayloadType } from '../../src/ike/codec/constants.js';
import {
  decodePayloads,
  encodePayloadBody,
  encodePayloadBodyInto,
  encodePayloads,
  encodePayloadsInto,
  type Payload,
  payloadBodyLength,
  payloadsLength,
} from '../../src/ike/codec/payloads.js';

const buf = (n: number) => fc.uint8Array({ minLength: n, maxLength: n }).map((u) => Buffer.from(u));
const bytesUpTo = (n: number) => fc.uint8Array({ minLength: 1, maxLength: n }).map((u) => Buffer.from(u));

const payload: fc.Arbitrary<Payload> = fc.oneof(
  fc.record({
    type: fc.constant(PayloadType.SA),
    doi: fc.constant(1),
    situation: fc.constant(1),
    proposals: fc.array(
      fc.record({
        number: fc.integer({ min: 0, max: 255 }),
        protocolId: fc.integer({ min: 0, max: 255 }),
        spi: fc.oneof(buf(0), buf(4), buf(16)),
        transforms: fc.array(
          fc.record({
            number: fc.integer({ min: 0, max: 255 }),
            id: fc.integer({ min: 0, max: 255 }),
            attributes: fc.array(
              fc.record({
                type: fc.integer({ min: 1, max: 0x7fff }),
                value: fc.oneof(fc.integer({ min: 0, max: 0xffff }), bytesUpTo(8)),
              }),
              { maxLength: 6 },
            ),
          }),
          { minLength: 1, maxLength: 4 },
        ),
      }),
      { minLength: 1, maxLength: 3 },
    ),
  }),
  fc.record({
    type: fc.constant(PayloadType.ID),
    idType: fc.constant(1),
    protocolId: fc.integer({ min: 0, max: 255 }),
    port: fc.integer({ min: 0, max: 0xffff }),
    data: buf(4),
  }),
  fc.record({
    type: fc.constantFrom(PayloadType.NatOA, PayloadType.NatOADraft),
    idType: fc.constant(1),
    address: buf(4),
  }),
  fc.record({
    type: fc.constant(PayloadType.N),
    doi: fc.constant(1),
    protocolId: fc.integer({ min: 0, max: 255 }),
    notifyType: fc.integer({ min: 0, max: 0xffff }),
    spi: fc.oneof(buf(0), buf(4), buf(16)),
    data: fc.oneof(buf(0), bytesUpTo(12)),
  }),
  buf(4).chain((spi) =>
    fc.record({
      type: fc.constant(PayloadType.D),
      doi: fc.constant(1),
      protocolId: fc.constant(3),
      spiSize: fc.constant(4),
      spis: fc.array(fc.constant(spi), { minLength: 1, maxLength: 3 }),
    }),
  ),
  fc.record({
    type: fc.constantFrom(PayloadType.CERT, PayloadType.CR),
    encoding: fc.integer({ min: 0, max: 255 }),
    data: bytesUpTo(16),
  }),
  fc.record({
    type: fc.constantFrom(PayloadType.HASH, PayloadType.VID, PayloadType.KE, PayloadType.NatD),
    data: bytesUpTo(64),
  }),
) as fc.Arbitrary<Payload>;

describe('in-place payload encoding', () => {
  it('each body: same bytes as encodePayloadBody, into a dirty buffer at any offset', () => {
    fc.assert(
      fc.property(payload, fc.integer({ min: 0, max: 9 }), (p, at) => {
        const want = encodePayloadBody(p);
        expect(payloadBodyLength(p)).toBe(want.length);
        const dirty = Buffer.alloc(at + want.length + 3, 0xa5);
        expect(encodePayloadBodyInto(p, dirty, at)).toBe(at + want.length);
        expect(dirty.subarray(at, at + want.length).toString('hex')).toBe(want.toString('hex'));
        expect(dirty.subarray(at + want.length).toString('hex')).toBe('a5a5a5');
      }),
      { numRuns: 300 },
    );
  });

  it('a chain: same bytes as encodePayloads, and decodes back to the same payloads', () => {
    fc.assert(
      fc.property(
        fc.array(payload, { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 0, max: 9 }),
        (ps, at) => {
          const want = encodePayloads(ps);
          expect(payloadsLength(ps)).toBe(want.length);
          const dirty = Buffer.alloc(at + want.length, 0x5a);
          expect(encodePayloadsInto(ps, dirty, at)).toBe(at + want.length);
          const got = dirty.subarray(at);
          expect(got.toString('hex')).toBe(want.toString('hex'));
          expect(encodePayloads(decodePayloads(ps[0].type, got).payloads).equals(want)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('decoding owned buffers', () => {
  const chain: Payload[] = [
    { type: PayloadType.HASH, data: Buffer.alloc(20, 1) },
    { type: PayloadType.NONCE, data: Buffer.alloc(32, 2) },
  ];

  it('a datagram (not owned): opaque values are copies, untouched when the buffer is reused', () => {
    const b = encodePayloads(chain);
    const decoded = decodePayloads(PayloadType.HASH, b);
    b.fill(0xff);
    expect(decoded.payloads).toEqual(chain);
  });

  it('an owned buffer (a decrypted body): opaque values are views of it, with the same contents', () => {
    const b = encodePayloads(chain);
    const decoded = decodePayloads(PayloadType.HASH, b, false, true);
    expect(decoded.payloads).toEqual(chain);
    const hash = decoded.payloads[0] as { data: Buffer };
    expect(hash.data.buffer).toBe(b.buffer);
  });
});

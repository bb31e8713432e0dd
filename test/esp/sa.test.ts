import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { naiveOpen, naiveSeal } from '../../bench/esp-reference.js';
import { CIPHERS, INTEGRITY } from '../../src/crypto/registry.js';
import { EspConfigError, EspSa, NEXT_HEADER_IPV4, NEXT_HEADER_UDP } from '../../src/esp/sa.js';
import { ManualClock } from '../../src/util/clock.js';
import { bytes, keysFor, SUITES, saPair } from './suites.js';

const PAYLOAD_SIZES = [0, 1, 13, 14, 15, 16, 17, 64, 255, 1400, 1500];

function seal(sa: EspSa, payload: Uint8Array, nh: number): Buffer {
  const out = Buffer.alloc(payload.length + 200);
  const n = sa.sealInto(payload, nh, out, 16);
  expect(n).toBe(sa.sealedLength(payload.length));
  return out.subarray(16, 16 + n);
}

describe('EspSa seal/open round trips (RFC 4303 section 3.3, 3.4)', () => {
  for (const suite of SUITES) {
    it(`${suite.name}: transport and tunnel mode, every padding length, agreeing with the naive reference`, () => {
      for (const mode of ['transport', 'tunnel'] as const) {
        const nh = mode === 'tunnel' ? NEXT_HEADER_IPV4 : NEXT_HEADER_UDP;
        const keys = keysFor(suite, mode === 'tunnel' ? 0x2000 : 0x1000);
        const { outbound, inbound } = saPair(keys, { mode });
        let seq = 0;
        for (const size of PAYLOAD_SIZES) {
          const payload = bytes(`${suite.name}-${mode}-${size}`, size);
          const packet = seal(outbound, payload, nh);
          seq++;
          // ESP header (RFC 4303 section 2.1, 2.2)
          expect(packet.readUInt32BE(0)).toBe(keys.spi);
          expect(packet.readUInt32BE(4)).toBe(seq);
          // The ciphertext is block-aligned (RFC 4303 section 2.4).
          const body = packet.length - 8 - suite.cipher.ivSize - keys.icvSize;
          expect(body % suite.cipher.blockSize).toBe(0);
          expect(body - payload.length - 2).toBeLessThan(suite.cipher.blockSize);

          // The independent reference (new node:crypto objects per packet) accepts what we sealed...
          const ref = naiveOpen(keys, packet);
          expect(ref).not.toBeTypeOf('string');
          if (typeof ref !== 'string') {
            expect(ref.nextHeader).toBe(nh);
            expect(ref.payload.equals(payload)).toBe(true);
          }
          // ...and we open it.
          const r = inbound.openFrom(packet, 0, packet.length);
          expect(r.status).toBe('ok');
          expect(r.nextHeader).toBe(nh);
          expect(r.seq).toBe(seq);
          expect(r.payload().equals(payload)).toBe(true);

          // We open what the reference sealed (its IV random, ours for GCM the sequence number).
          seq++;
          outbound.sealInto(Buffer.alloc(0), nh, Buffer.alloc(300), 0); // keep the outbound counter in step
          const theirs = naiveSeal(keys, seq, payload, nh);
          const r2 = inbound.openFrom(theirs, 0, theirs.length);
          expect(r2.status).toBe('ok');
          expect(r2.payload().equals(payload)).toBe(true);
        }
        expect(inbound.stats.packets).toBe(PAYLOAD_SIZES.length * 2);
        expect(inbound.drops.total()).toBe(0);
      }
    });
  }

  it('opens packets at an offset inside a larger datagram buffer (UDP-encapsulated layout)', () => {
    const keys = keysFor(SUITES[0], 0x3000);
    const { outbound, inbound } = saPair(keys);
    const payload = bytes('offset', 200);
    const dgram = Buffer.alloc(600, 0xee);
    const n = outbound.sealInto(payload, 17, dgram, 8);
    const r = inbound.openFrom(dgram, 8, n);
    expect(r.status).toBe('ok');
    expect(r.payload().equals(payload)).toBe(true);
  });

  it('property: any payload round-trips through aes128/sha1 and aes-gcm', () => {
    for (const suite of [SUITES[1], SUITES[SUITES.length - 3]]) {
      const { outbound, inbound } = saPair(keysFor(suite, 0x4000));
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 2000 }), (payload) => {
          const p = seal(outbound, payload, 17);
          const r = inbound.openFrom(p, 0, p.length);
          return r.status === 'ok' && Buffer.from(payload).equals(r.payload());
        }),
        { numRuns: 200 },
      );
    }
  });

  it('sends a fresh, unpredictable IV per CBC packet (RFC 3602 section 2.1)', () => {
    const { outbound } = saPair(keysFor(SUITES[1], 0x5000));
    const ivs = new Set<string>();
    const payload = Buffer.alloc(64);
    let prevLastBlock = '';
    for (let i = 0; i < 500; i++) {
      const p = seal(outbound, payload, 17);
      const iv = p.subarray(8, 24).toString('hex');
      // Not the previous packet's last ciphertext block (the predictable chained IV of TLS 1.0).
      expect(iv).not.toBe(prevLastBlock);
      ivs.add(iv);
      prevLastBlock = p.subarray(p.length - 12 - 16, p.length - 12).toString('hex');
    }
    expect(ivs.size).toBe(500);
  });

  it('uses the sequence number as the GCM explicit IV, never repeating (RFC 4106 section 3.1)', () => {
    const suite = SUITES.find((s) => s.name === 'aes128-gcm16')!;
    const { outbound } = saPair(keysFor(suite, 0x5100));
    const a = seal(outbound, Buffer.alloc(10), 17);
    const b = seal(outbound, Buffer.alloc(10), 17);
    expect(a.subarray(8, 16).toString('hex')).toBe('0000000000000001');
    expect(b.subarray(8, 16).toString('hex')).toBe('0000000000000002');
  });

  it('sha2 truncbug: HMAC-SHA2-256 truncated to 96 bits interoperates with a peer doing the same', () => {
    const suite = SUITES.find((s) => s.name === 'aes128-hmac-sha256-128')!;
    const keys = keysFor(suite, 0x6000, true);
    const { outbound, inbound } = saPair(keys, { sha2TruncBug: true });
    const payload = bytes('truncbug', 100);
    const p = seal(outbound, payload, 17);
    expect(p.length).toBe(8 + 16 + 112 + 12);
    const ref = naiveOpen(keys, p);
    expect(typeof ref === 'string' ? ref : ref.payload.equals(payload)).toBe(true);
    expect(inbound.openFrom(p, 0, p.length).status).toBe('ok');
    // A standard (128-bit ICV) peer cannot even frame it: 4 bytes short of a whole block.
    const standard = saPair(keysFor(suite, 0x6000)).inbound;
    expect(standard.openFrom(p, 0, p.length).status).toBe('truncated');
    expect(() => saPair(keysFor(SUITES[1], 0x6001), { sha2TruncBug: true })).toThrow(EspConfigError);
  });

  it('refuses configurations the key manager must never produce', () => {
    const keys = keysFor(SUITES[1], 0x7000);
    expect(() => saPair({ ...keys, spi: 255 })).toThrow(EspConfigError); // RFC 4303 s2.1 reserved range
    expect(() => saPair({ ...keys, encryptionKey: Buffer.alloc(15) })).toThrow(EspConfigError);
    expect(() => saPair({ ...keys, integrityKey: Buffer.alloc(19) })).toThrow(EspConfigError);
    expect(
      () =>
        new EspSa({
          spi: 0x7001,
          direction: 'inbound',
          mode: 'transport',
          cipher: CIPHERS['aes-gcm-16'],
          keyBits: 128,
          encryptionKey: Buffer.alloc(20),
          integrity: INTEGRITY['hmac-sha1-96'],
          integrityKey: Buffer.alloc(20),
          peer: { address: '192.0.2.1' },
        }),
    ).toThrow(EspConfigError);
  });
});

describe('EspSa lifetimes (RFC 4301 section 4.4.2.1)', () => {
  it('signals soft then hard on bytes, then refuses to seal', () => {
    const events: string[] = [];
    const { outbound } = saPair(keysFor(SUITES[1], 0x8000), {
      lifetime: { softBytes: 1000, hardBytes: 2000 },
    });
    outbound.lifetimeListener = (_sa, limit, cause) => events.push(`${limit}:${cause}`);
    const payload = Buffer.alloc(400);
    const out = Buffer.alloc(600);
    expect(outbound.sealInto(payload, 17, out, 0)).toBeGreaterThan(0);
    expect(outbound.sealInto(payload, 17, out, 0)).toBeGreaterThan(0);
    expect(outbound.state).toBe('active');
    expect(outbound.sealInto(payload, 17, out, 0)).toBeGreaterThan(0); // 1200 bytes: soft
    expect(outbound.state).toBe('dying');
    expect(outbound.sealInto(payload, 17, out, 0)).toBeGreaterThan(0);
    expect(outbound.sealInto(payload, 17, out, 0)).toBeGreaterThan(0); // 2000 bytes: hard
    expect(outbound.state).toBe('dead');
    expect(outbound.sealInto(payload, 17, out, 0)).toBe(0);
    expect(outbound.drops.get('expired')).toBe(1);
    expect(events).toEqual(['soft:bytes', 'hard:bytes']);
  });

  it('treats sequence-number exhaustion as a hard expiry (RFC 4303 section 3.3.3)', () => {
    const { outbound, inbound } = saPair(keysFor(SUITES[1], 0x8100));
    const events: string[] = [];
    outbound.lifetimeListener = (_sa, limit, cause) => events.push(`${limit}:${cause}`);
    // Jump the counter near the end (white-box: there is no API to send 4 billion packets quickly).
    (outbound as unknown as { seq: number }).seq = 0xfffffffe;
    const out = Buffer.alloc(300);
    const n = outbound.sealInto(Buffer.alloc(10), 17, out, 0);
    expect(out.readUInt32BE(4)).toBe(0xffffffff);
    expect(events).toEqual(['soft:sequence']);
    expect(outbound.sealInto(Buffer.alloc(10), 17, out, 0)).toBe(0);
    expect(outbound.state).toBe('dead');
    expect(events).toEqual(['soft:sequence', 'hard:sequence']);
    // The last packet is still valid for the peer.
    expect(inbound.openFrom(out, 0, n).status).toBe('ok');
  });

  it('computes time limits on the injected clock', () => {
    const clock = new ManualClock(5000);
    const { outbound } = saPair(keysFor(SUITES[1], 0x8200), {
      clock,
      lifetime: { softSeconds: 10, hardSeconds: 12 },
    });
    expect(outbound.softAt).toBe(15000);
    expect(outbound.hardAt).toBe(17000);
  });
});

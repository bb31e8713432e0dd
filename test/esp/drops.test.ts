import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { naiveSeal, naiveSealPlaintext } from '../../bench/esp-reference.js';
import type { EspSa } from '../../src/esp/sa.js';
import { SaDatabase } from '../../src/esp/sa-database.js';
import { bytes, keysFor, SUITES, saPair } from './suites.js';

const CBC = SUITES.find((s) => s.name === 'aes128-hmac-sha1-96')!;
const GCM = SUITES.find((s) => s.name === 'aes128-gcm16')!;

function sealOne(sa: EspSa, payload: Buffer, nh = 17): Buffer {
  const out = Buffer.alloc(payload.length + 100);
  return out.subarray(0, sa.sealInto(payload, nh, out, 0));
}

/** After each kind of drop, the SA must still open the next good packet. */
function expectStillWorks(outbound: EspSa, inbound: EspSa): void {
  const payload = bytes('after', 77);
  const p = sealOne(outbound, payload);
  const r = inbound.openFrom(p, 0, p.length);
  expect(r.status).toBe('ok');
  expect(r.payload().equals(payload)).toBe(true);
}

for (const suite of [CBC, GCM]) {
  describe(`ESP drops, ${suite.name} (each counted per SA and reason; the SA keeps working)`, () => {
    it('replay: a packet seen before is dropped (RFC 4303 section 3.4.3)', () => {
      const { outbound, inbound } = saPair(keysFor(suite, 0x1100));
      const p = sealOne(outbound, bytes('a', 40));
      expect(inbound.openFrom(p, 0, p.length).status).toBe('ok');
      expect(inbound.openFrom(p, 0, p.length).status).toBe('replay');
      expect(inbound.openFrom(p, 0, p.length).status).toBe('replay');
      expect(inbound.drops.get('replay')).toBe(2);
      expectStillWorks(outbound, inbound);
    });

    it('replay: packets older than the window are dropped, reordered ones inside it accepted', () => {
      const { outbound, inbound } = saPair(keysFor(suite, 0x1200), { replayWindow: 1024 });
      const packets: Buffer[] = [];
      for (let i = 0; i < 1100; i++) packets.push(sealOne(outbound, Buffer.alloc(8)));
      // Deliver 1100 first, then the rest in reverse: 77..1099 fit the window (1100-1024 < seq).
      expect(inbound.openFrom(packets[1099], 0, packets[1099].length).status).toBe('ok');
      let ok = 0;
      let old = 0;
      for (let i = 1098; i >= 0; i--) {
        const s = inbound.openFrom(packets[i], 0, packets[i].length).status;
        if (s === 'ok') ok++;
        else if (s === 'replay') old++;
      }
      expect(ok).toBe(1023);
      expect(old).toBe(76);
      expect(inbound.drops.get('replay')).toBe(76);
    });

    it('forged ICV: one flipped bit anywhere is dropped as bad-icv, and does not move the window', () => {
      const { outbound, inbound } = saPair(keysFor(suite, 0x1300));
      const p = sealOne(outbound, bytes('b', 100));
      for (const at of [4, 8, 20, p.length - 20, p.length - 1]) {
        const forged = Buffer.from(p);
        forged[at] ^= 0x01;
        expect(inbound.openFrom(forged, 0, forged.length).status).toBe('bad-icv');
      }
      expect(inbound.drops.get('bad-icv')).toBe(5);
      // The genuine packet (same sequence number as the forgeries) is still accepted.
      expect(inbound.openFrom(p, 0, p.length).status).toBe('ok');
      expect(inbound.sequence).toBe(1);
      expectStillWorks(outbound, inbound);
    });

    it('bad padding: an authentic packet whose pad bytes are not 1, 2, 3, ... is dropped (RFC 4303 s2.4)', () => {
      const keys = keysFor(suite, 0x1400);
      const { outbound, inbound } = saPair(keys);
      const block = suite.cipher.blockSize;
      // payload 9 bytes: padding = block - 11 mod block (GCM: 1 byte; CBC: 5 bytes).
      const padLen = (block - ((9 + 2) % block)) % block;
      const wrong = Buffer.alloc(padLen, 0xaa);
      const p = naiveSeal(keys, 1, bytes('c', 9), 17, undefined, wrong);
      expect(inbound.openFrom(p, 0, p.length).status).toBe('bad-padding');
      expect(inbound.drops.get('bad-padding')).toBe(1);
      // A Pad Length pointing before the start of the plaintext: one block whose trailer says 250.
      const overrun = Buffer.alloc(block * 2, 0);
      overrun[overrun.length - 2] = 250;
      overrun[overrun.length - 1] = 17;
      const tampered = naiveSealPlaintext(keys, 2, overrun);
      expect(inbound.openFrom(tampered, 0, tampered.length).status).toBe('bad-padding');
      // Pad Length exactly the plaintext minus the trailer, with right pad bytes: an empty payload is fine.
      const exact = Buffer.alloc(block * 2);
      for (let i = 0; i < exact.length - 2; i++) exact[i] = i + 1;
      exact[exact.length - 2] = exact.length - 2;
      exact[exact.length - 1] = 17;
      const fine = naiveSealPlaintext(keys, 3, exact);
      const r = inbound.openFrom(fine, 0, fine.length);
      expect(r.status).toBe('ok');
      expect(r.length).toBe(0);
      expect(inbound.drops.get('bad-padding')).toBe(2);
      outbound.sealInto(Buffer.alloc(0), 17, Buffer.alloc(200), 0); // keep sequence numbers apart
      outbound.sealInto(Buffer.alloc(0), 17, Buffer.alloc(200), 0);
      outbound.sealInto(Buffer.alloc(0), 17, Buffer.alloc(200), 0);
      expectStillWorks(outbound, inbound);
    });

    it('truncation: every prefix of a packet is dropped as truncated or bad-icv, never crashes', () => {
      const { outbound, inbound } = saPair(keysFor(suite, 0x1500));
      const p = sealOne(outbound, bytes('d', 60));
      const seen = new Set<string>();
      for (let len = 0; len < p.length; len++) {
        const s = inbound.openFrom(p, 0, len).status;
        expect(s === 'truncated' || s === 'bad-icv').toBe(true);
        seen.add(s);
      }
      expect(seen.has('truncated')).toBe(true);
      expect(inbound.drops.get('truncated')).toBeGreaterThan(0);
      expect(inbound.openFrom(p, 0, p.length).status).toBe('ok');
      expectStillWorks(outbound, inbound);
    });

    it('unexpected next header and dummy packets (RFC 4303 section 2.6) are dropped', () => {
      const { outbound, inbound } = saPair(keysFor(suite, 0x1600));
      const tunnelish = sealOne(outbound, bytes('e', 20), 4);
      expect(inbound.openFrom(tunnelish, 0, tunnelish.length).status).toBe('unexpected-next-header');
      const dummy = sealOne(outbound, bytes('f', 20), 59);
      expect(inbound.openFrom(dummy, 0, dummy.length).status).toBe('dummy');
      expect(inbound.drops.snapshot()).toEqual({ 'unexpected-next-header': 1, dummy: 1 });
      expectStillWorks(outbound, inbound);
    });

    it('unknown SPI and runts are dropped and counted by the SA database', () => {
      const db = new SaDatabase();
      const { outbound, inbound } = saPair(keysFor(suite, 0x1700));
      db.add(inbound);
      const other = saPair(keysFor(suite, 0x1701)).outbound;
      const stray = sealOne(other, bytes('g', 20));
      const r = db.open(stray, 0, stray.length);
      expect(r.status).toBe('unknown-spi');
      expect(r.sa).toBeUndefined();
      expect(db.open(stray, 0, 7).status).toBe('truncated');
      expect(db.drops.snapshot()).toEqual({ 'unknown-spi': 1, truncated: 1 });
      const good = sealOne(outbound, bytes('h', 20));
      const ok = db.open(good, 0, good.length);
      expect(ok.status).toBe('ok');
      expect(ok.sa).toBe(inbound);
    });

    it('wrong direction: seal on an inbound SA and open on an outbound SA are refused', () => {
      const { outbound, inbound } = saPair(keysFor(suite, 0x1800));
      expect(inbound.sealInto(Buffer.alloc(4), 17, Buffer.alloc(100), 0)).toBe(0);
      const p = sealOne(outbound, Buffer.alloc(4));
      expect(outbound.openFrom(p, 0, p.length).status).toBe('wrong-direction');
      expect(outbound.sealInto(Buffer.alloc(4), 17, Buffer.alloc(10), 0)).toBe(0);
      expect(outbound.drops.snapshot()).toEqual({ 'wrong-direction': 1, 'no-room': 1 });
    });
  });
}

describe('ESP input fuzzing (bad input from the network is a counted drop, never a crash)', () => {
  for (const suite of [CBC, GCM, SUITES.find((s) => s.name === '3des-hmac-sha512-256')!]) {
    it(`${suite.name}: random packets for a live SPI are dropped; the SA still works`, () => {
      const db = new SaDatabase();
      const { outbound, inbound } = saPair(keysFor(suite, 0x1900));
      db.add(inbound);
      fc.assert(
        fc.property(fc.uint8Array({ minLength: 0, maxLength: 300 }), fc.boolean(), (junk, keepSpi) => {
          const p = Buffer.from(junk);
          if (keepSpi && p.length >= 4) p.writeUInt32BE(0x1900, 0);
          return db.open(p, 0, p.length).status !== 'ok';
        }),
        { numRuns: 500 },
      );
      expect(inbound.drops.total() + db.drops.total()).toBeGreaterThan(0);
      expectStillWorks(outbound, inbound);
    });
  }
});

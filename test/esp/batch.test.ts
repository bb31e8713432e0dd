import { describe, expect, it } from 'vitest';
import { naiveOpen, naiveSeal } from '../../bench/esp-reference.js';
import { MAX_ESP_PAYLOAD } from '../../src/esp/transform.js';
import { bytes, keysFor, SUITES, saPair } from './suites.js';

const PICK = ['aes128-hmac-sha1-96', 'aes256-hmac-sha256-128', '3des-hmac-md5-96', 'aes128-gcm16'];

for (const name of PICK) {
  const suite = SUITES.find((s) => s.name === name)!;
  describe(`batch seal/open, ${name}`, () => {
    it('sealBatch = sealInto in order: consecutive sequence numbers, readable by the reference and by openBatch', () => {
      const keys = keysFor(suite, 0x9000);
      const { outbound, inbound } = saPair(keys);
      const payloads = [0, 1, 15, 16, 100, 1400, 7].map((n, i) => bytes(`batch-${name}-${i}`, n));
      const outs = payloads.map((p) => Buffer.alloc(p.length + 120));
      const lengths = new Int32Array(payloads.length);
      expect(outbound.sealBatch(payloads, 17, outs, 4, lengths)).toBe(payloads.length);
      const packets = outs.map((o, i) => o.subarray(4, 4 + lengths[i]));
      packets.forEach((p, i) => {
        expect(lengths[i]).toBe(outbound.sealedLength(payloads[i].length));
        expect(p.readUInt32BE(4)).toBe(i + 1);
        const ref = naiveOpen(keys, p);
        expect(typeof ref === 'string' ? ref : ref.payload.equals(payloads[i])).toBe(true);
      });
      expect(outbound.stats.packets).toBe(payloads.length);

      const results = inbound.openBatch(
        outs,
        packets.map(() => 4),
        lengths,
      );
      for (let i = 0; i < payloads.length; i++) {
        expect(results[i].status).toBe('ok');
        expect(results[i].seq).toBe(i + 1);
        expect(results[i].payload().equals(payloads[i])).toBe(true);
      }
      expect(inbound.stats.packets).toBe(payloads.length);
    });

    it('openBatch gives each packet the verdict openFrom would: forged, replayed, duplicated, truncated', () => {
      const keys = keysFor(suite, 0x9100);
      const { inbound } = saPair(keys);
      const good = (seq: number) => naiveSeal(keys, seq, bytes(`g${seq}`, 50 + seq), 17);
      const first = good(1);
      expect(inbound.openFrom(first, 0, first.length).status).toBe('ok');
      const forged = good(3);
      forged[forged.length - 1] ^= 1;
      const dup = good(4);
      const packets = [good(2), forged, first, dup, dup, good(5).subarray(0, 20), good(6)];
      const results = inbound.openBatch(
        packets,
        packets.map(() => 0),
        packets.map((p) => p.length),
      );
      expect(results.slice(0, packets.length).map((r) => r.status)).toEqual([
        'ok',
        'bad-icv',
        'replay',
        'ok',
        'replay',
        'truncated',
        'ok',
      ]);
      expect(results[6].payload().equals(bytes('g6', 56))).toBe(true);
      expect(results[0].payload().equals(bytes('g2', 52))).toBe(true);
      expect(inbound.drops.snapshot()).toEqual({ 'bad-icv': 1, replay: 2, truncated: 1 });
      // The forged packet's sequence number was not consumed: the genuine one is still welcome.
      const real3 = good(3);
      expect(inbound.openFrom(real3, 0, real3.length).status).toBe('ok');
    });

    it('sealBatch falls back to per-packet refusals when a packet cannot be sealed', () => {
      const { outbound } = saPair(keysFor(suite, 0x9200));
      const payloads = [Buffer.alloc(10), Buffer.alloc(MAX_ESP_PAYLOAD + 1), Buffer.alloc(10)];
      const outs = [Buffer.alloc(100), Buffer.alloc(100), Buffer.alloc(100)];
      const lengths = new Int32Array(3);
      expect(outbound.sealBatch(payloads, 17, outs, 0, lengths)).toBe(2);
      expect(lengths[1]).toBe(0);
      expect(outs[2].readUInt32BE(4)).toBe(2);
      expect(outbound.drops.get('too-large')).toBe(1);
      expect(outbound.sealBatch([], 17, [], 0, lengths)).toBe(0);
      expect(saPair(keysFor(suite, 0x9201)).inbound.openBatch([], [], [])).toBeDefined();
    });
  });
}

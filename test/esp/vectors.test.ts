import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CIPHERS } from '../../src/crypto/registry.js';
import { EspSa } from '../../src/esp/sa.js';

/** vectors/rfc3602-aes-cbc.json (the crypto layer's transcription of RFC 3602 section 4); cases 5-8 are
 * whole ESP packets. */
interface Rfc3602Case {
  case: number;
  source: string;
  mode?: 'transport' | 'tunnel';
  key: string;
  spi?: number;
  seq?: number;
  iv: string;
  nextHeader?: number;
  payload?: string;
  espPacket?: string;
}

interface Rfc3602Packet {
  name: string;
  source: string;
  mode: 'transport' | 'tunnel';
  key: string;
  spi: number;
  seq: number;
  iv: string;
  nextHeader: number;
  payload: string;
  esp: string;
}

function rfc3602Packets(): Rfc3602Packet[] {
  const out: Rfc3602Packet[] = [];
  for (const c of load<Rfc3602Case>('rfc3602-aes-cbc.json')) {
    if (c.espPacket === undefined) continue;
    out.push({
      name: `case-${c.case}-${c.mode}`,
      source: c.source,
      mode: c.mode!,
      key: c.key,
      spi: c.spi!,
      seq: c.seq!,
      iv: c.iv,
      nextHeader: c.nextHeader!,
      payload: c.payload!,
      esp: c.espPacket,
    });
  }
  return out;
}

interface GcmCase {
  name: string;
  source: string;
  keyBits: number;
  keymat: string;
  spi: number;
  seq: number;
  iv: string;
  esp: string;
  plaintext: string;
}

function load<T>(file: string): T[] {
  const url = new URL(`../../vectors/${file}`, import.meta.url);
  return (JSON.parse(readFileSync(url, 'utf8')) as { cases: T[] }).cases;
}

const hex = (s: string) => Buffer.from(s, 'hex');

describe('RFC 3602 section 4 whole ESP packets (AES-128-CBC, no ICV)', () => {
  const packets = rfc3602Packets();
  it('has all four whole-packet cases (5-8)', () => {
    expect(packets.map((p) => p.name)).toEqual([
      'case-5-transport',
      'case-6-transport',
      'case-7-tunnel',
      'case-8-tunnel',
    ]);
  });
  for (const v of packets) {
    const config = {
      spi: v.spi,
      mode: v.mode,
      cipher: CIPHERS['aes-cbc'],
      keyBits: 128,
      encryptionKey: hex(v.key),
      integrity: 'none' as const,
      peer: { address: '192.168.123.100' },
      acceptNextHeaders: [v.nextHeader],
    };

    it(`${v.name}: seal produces the packet byte for byte (${v.source})`, () => {
      const sa = new EspSa({ ...config, direction: 'outbound' });
      const scratch = Buffer.alloc(512);
      // Earlier sequence numbers of the vector's SA, through the same hot path.
      for (let s = 1; s < v.seq; s++) sa.sealInto(Buffer.alloc(30), v.nextHeader, scratch, 0);
      sa.setNextIvForTest(hex(v.iv));
      const out = Buffer.alloc(512, 0xcc);
      const n = sa.sealInto(hex(v.payload), v.nextHeader, out, 20);
      expect(out.subarray(20, 20 + n).toString('hex')).toBe(v.esp);
      expect(out[19]).toBe(0xcc); // nothing written before the offset
      expect(out[20 + n]).toBe(0xcc); // or after the packet
      // The hot path goes back to random IVs and keeps chaining correctly afterwards.
      const next = sa.sealInto(hex(v.payload), v.nextHeader, out, 0);
      expect(out.subarray(8, 24).toString('hex')).not.toBe(v.iv);
      const rx = new EspSa({ ...config, direction: 'inbound' });
      expect(rx.openFrom(out, 0, next).status).toBe('ok');
    });

    it(`${v.name}: open accepts the packet and recovers payload and next header`, () => {
      const sa = new EspSa({ ...config, direction: 'inbound' });
      const esp = hex(v.esp);
      const r = sa.openFrom(esp, 0, esp.length);
      expect(r.status).toBe('ok');
      expect(r.seq).toBe(v.seq);
      expect(r.nextHeader).toBe(v.nextHeader);
      expect(r.payload().toString('hex')).toBe(v.payload);
    });
  }
});

describe('AES-GCM-16 ESP packets (RFC 4106; draft-mcgrew-gcm-test-01)', () => {
  for (const v of load<GcmCase>('esp-gcm-rfc4106.json')) {
    const plain = hex(v.plaintext);
    const nextHeader = plain[plain.length - 1];
    const padLength = plain[plain.length - 2];
    const payload = plain.subarray(0, plain.length - 2 - padLength);
    const config = {
      spi: v.spi,
      mode: 'tunnel' as const,
      cipher: CIPHERS['aes-gcm-16'],
      keyBits: v.keyBits,
      encryptionKey: hex(v.keymat),
      integrity: 'none' as const,
      peer: { address: '192.168.1.1' },
      acceptNextHeaders: [nextHeader],
    };

    it(`${v.name}: seal produces the packet byte for byte (${v.source})`, () => {
      const sa = new EspSa({ ...config, direction: 'outbound' });
      const scratch = Buffer.alloc(256);
      for (let s = 1; s < v.seq; s++) sa.sealInto(Buffer.alloc(3), nextHeader, scratch, 0);
      sa.setNextIvForTest(hex(v.iv));
      const out = Buffer.alloc(256);
      const n = sa.sealInto(payload, nextHeader, out, 0);
      expect(out.subarray(0, n).toString('hex')).toBe(v.esp);
    });

    it(`${v.name}: open verifies the tag and recovers the inner packet; a flipped tag bit is refused`, () => {
      const sa = new EspSa({ ...config, direction: 'inbound' });
      const esp = hex(v.esp);
      const forged = Buffer.from(esp);
      forged[forged.length - 1] ^= 0x80;
      expect(sa.openFrom(forged, 0, forged.length).status).toBe('bad-icv');
      const r = sa.openFrom(esp, 0, esp.length);
      expect(r.status).toBe('ok');
      expect(r.seq).toBe(v.seq);
      expect(r.payload().equals(payload)).toBe(true);
    });
  }
});

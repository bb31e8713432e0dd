import { describe, expect, it } from 'vitest';
import { CIPHERS, INTEGRITY } from '../../src/crypto/registry.js';
import { keymatLength, splitKeymat } from '../../src/esp/keymat.js';
import { EspSa, type EspSaConfig } from '../../src/esp/sa.js';
import { SaDatabase } from '../../src/esp/sa-database.js';
import { ManualClock } from '../../src/util/clock.js';
import { bytes } from './suites.js';

function sa(clock: ManualClock, over: Partial<EspSaConfig>): EspSa {
  return new EspSa({
    spi: 0x1000,
    direction: 'inbound',
    mode: 'transport',
    cipher: CIPHERS['aes-cbc'],
    keyBits: 128,
    encryptionKey: bytes('k', 16),
    integrity: INTEGRITY['hmac-sha1-96'],
    integrityKey: bytes('i', 20),
    peer: { address: '198.51.100.7', port: 4500 },
    clock,
    ...over,
  });
}

describe('SaDatabase (RFC 4301 section 4.4.2)', () => {
  it('finds inbound SAs by SPI and outbound SAs by peer and owner; removal stops lookups', () => {
    const clock = new ManualClock(0);
    const db = new SaDatabase();
    const inA = sa(clock, { spi: 0x1001 });
    const inB = sa(clock, { spi: 0x1002, peer: { address: '198.51.100.8', port: 4500 } });
    const outA = sa(clock, { spi: 0xaaaa, direction: 'outbound', owner: 'ike-1' });
    const outRaw = sa(clock, { spi: 0xaaaa, direction: 'outbound', peer: { address: '198.51.100.9' } });
    for (const s of [inA, inB, outA, outRaw]) db.add(s);
    expect(db.size).toBe(4);
    expect(db.inbound(0x1001)).toBe(inA);
    expect(db.inbound(0x1002)).toBe(inB);
    expect(db.inbound(0xaaaa)).toBeUndefined(); // outbound SPIs are the peer's, not looked up
    expect(db.outboundForPeer('198.51.100.7', 4500)).toBe(outA);
    expect(db.outboundForPeer('198.51.100.7')).toBeUndefined(); // raw ESP is a different peer key
    expect(db.outboundForPeer('198.51.100.9')).toBe(outRaw);
    expect(db.outboundForOwner('ike-1')).toBe(outA);
    expect(() => db.add(sa(clock, { spi: 0x1001 }))).toThrow();
    db.remove(inA);
    db.remove(outA);
    expect(db.inbound(0x1001)).toBeUndefined();
    expect(db.outboundForOwner('ike-1')).toBeUndefined();
    expect(db.size).toBe(2);
  });

  it('a rekeyed outbound SA takes over lookups; deleting it hands them back to the survivor', () => {
    const clock = new ManualClock(0);
    const db = new SaDatabase();
    const old = sa(clock, { spi: 0x2001, direction: 'outbound', owner: 'ike-7' });
    db.add(old);
    clock.advance(1000);
    const fresh = sa(clock, { spi: 0x2002, direction: 'outbound', owner: 'ike-7' });
    db.add(fresh);
    expect(db.outboundForOwner('ike-7')).toBe(fresh);
    expect(db.outboundForPeer('198.51.100.7', 4500)).toBe(fresh);
    db.remove(fresh);
    expect(db.outboundForOwner('ike-7')).toBe(old);
    expect(db.outboundForPeer('198.51.100.7', 4500)).toBe(old);
  });

  it('turns time limits into soft then hard events on the injected clock, removing hard-expired SAs', () => {
    const clock = new ManualClock(0);
    const db = new SaDatabase();
    const s = sa(clock, { spi: 0x3001, lifetime: { softSeconds: 10, hardSeconds: 15 } });
    const forever = sa(clock, { spi: 0x3002 });
    db.add(s);
    db.add(forever);
    expect(db.deadline()).toBe(10_000);
    expect(db.tick(9_999)).toEqual([]);
    const soft = db.tick(10_000);
    expect(soft).toEqual([{ type: 'sa-soft-expired', sa: s, cause: 'time' }]);
    expect(s.state).toBe('dying');
    expect(db.inbound(0x3001)).toBe(s); // still usable while IKE rekeys
    expect(db.deadline()).toBe(15_000);
    expect(db.tick(12_000)).toEqual([]);
    expect(db.tick(15_000)).toEqual([{ type: 'sa-hard-expired', sa: s, cause: 'time' }]);
    expect(db.inbound(0x3001)).toBeUndefined();
    expect(db.deadline()).toBeUndefined();
  });

  it('queues byte-limit events from the packet path and asks for a tick', () => {
    const clock = new ManualClock(0);
    let asked = 0;
    const db = new SaDatabase({ onPending: () => asked++ });
    const out = sa(clock, {
      spi: 0x4001,
      direction: 'outbound',
      lifetime: { softBytes: 100, hardBytes: 150 },
    });
    db.add(out);
    const buf = Buffer.alloc(200);
    out.sealInto(Buffer.alloc(120), 17, buf, 0);
    expect(asked).toBe(1);
    expect(db.deadline()).toBe(Number.NEGATIVE_INFINITY);
    out.sealInto(Buffer.alloc(40), 17, buf, 0);
    expect(asked).toBe(1); // one call until the owner ticks
    const events = db.tick(clock.now());
    expect(events.map((e) => `${e.type}:${e.cause}`)).toEqual([
      'sa-soft-expired:bytes',
      'sa-hard-expired:bytes',
    ]);
    expect(db.size).toBe(0);
    expect(out.sealInto(Buffer.alloc(1), 17, buf, 0)).toBe(0);
  });

  it('allocates unused inbound SPIs outside the reserved range (RFC 4303 section 2.1)', () => {
    const db = new SaDatabase();
    const clock = new ManualClock(0);
    db.add(sa(clock, { spi: 0x01020304 }));
    const draws = [Buffer.from([0, 0, 0, 7]), Buffer.from([1, 2, 3, 4]), Buffer.from([0, 0, 1, 0])];
    const spi = db.allocateSpi(() => draws.shift()!);
    expect(spi).toBe(256);
  });
});

describe('KEYMAT split (RFC 2409 section 5.5; encryption key first)', () => {
  it('takes key (+ GCM salt) then integrity key', () => {
    const keymat = bytes('keymat', 64);
    const cbc = splitKeymat(CIPHERS['aes-cbc'], 256, INTEGRITY['hmac-sha256-128'], keymat);
    expect(keymatLength(CIPHERS['aes-cbc'], 256, INTEGRITY['hmac-sha256-128'])).toBe(64);
    expect(cbc.encryptionKey.equals(keymat.subarray(0, 32))).toBe(true);
    expect(cbc.integrityKey.equals(keymat.subarray(32, 64))).toBe(true);
    const gcm = splitKeymat(CIPHERS['aes-gcm-16'], 128, 'none', keymat);
    expect(gcm.encryptionKey.equals(keymat.subarray(0, 20))).toBe(true);
    expect(gcm.integrityKey.length).toBe(0);
    expect(() =>
      splitKeymat(CIPHERS['3des-cbc'], 192, INTEGRITY['hmac-sha1-96'], keymat.subarray(0, 40)),
    ).toThrow(RangeError);
  });
});

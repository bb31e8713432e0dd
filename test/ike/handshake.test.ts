import { describe, expect, it } from 'vitest';
import type { DhGroupId, HashName } from '../../src/crypto/registry.js';
import type { IkeAction } from '../../src/ike/actions.js';
import type { EspSuiteChoice } from '../../src/ike/esp-policy.js';
import type { CipherChoice } from '../../src/ike/policy.js';
import { CLIENT, installs, pair, SERVER } from './harness.js';

function ups(seen: readonly IkeAction[]) {
  return seen.filter((a) => a.type === 'ike-sa-up');
}

function expectMatchingPair(seen: readonly IkeAction[]) {
  const inst = installs(seen);
  expect(inst).toHaveLength(2);
  const [i, r] = inst[0].sa.role === 'initiator' ? [inst[0], inst[1]] : [inst[1], inst[0]];
  expect(r.sa.role).toBe('responder');
  expect(i.sa.spiIn).toBe(r.sa.spiOut);
  expect(i.sa.spiOut).toBe(r.sa.spiIn);
  for (const [a, b] of [
    [i.sa.outbound, r.sa.inbound],
    [i.sa.inbound, r.sa.outbound],
  ]) {
    expect(a.encryption.equals(b.encryption)).toBe(true);
    expect(a.salt.equals(b.salt)).toBe(true);
    expect(a.integrity.equals(b.integrity)).toBe(true);
  }
  // Distinct keys per direction (KEYMAT uses the receiving SPI, RFC 2409 s5.5).
  expect(i.sa.inbound.encryption.equals(i.sa.outbound.encryption)).toBe(false);
  return { i: i.sa, r: r.sa };
}

const PHASE1: { cipher: CipherChoice; hash: HashName; group: DhGroupId }[] = [
  { cipher: { cipher: 'aes-cbc', keyBits: 128 }, hash: 'sha1', group: 19 },
  { cipher: { cipher: 'aes-cbc', keyBits: 192 }, hash: 'sha256', group: 14 },
  { cipher: { cipher: 'aes-cbc', keyBits: 256 }, hash: 'sha384', group: 20 },
  { cipher: { cipher: 'aes-cbc', keyBits: 256 }, hash: 'sha512', group: 21 },
  { cipher: { cipher: '3des-cbc', keyBits: 192 }, hash: 'sha1', group: 2 },
  { cipher: { cipher: 'aes-cbc', keyBits: 128 }, hash: 'sha256', group: 5 },
  { cipher: { cipher: 'aes-cbc', keyBits: 256 }, hash: 'sha1', group: 15 },
  { cipher: { cipher: '3des-cbc', keyBits: 192 }, hash: 'sha256', group: 16 },
];

const ESP: EspSuiteChoice[] = [
  { cipher: 'aes-cbc', keyBits: 128, integrity: 'hmac-sha1-96' },
  { cipher: 'aes-cbc', keyBits: 256, integrity: 'hmac-sha256-128' },
  { cipher: 'aes-cbc', keyBits: 192, integrity: 'hmac-sha384-192' },
  { cipher: 'aes-cbc', keyBits: 256, integrity: 'hmac-sha512-256' },
  { cipher: '3des-cbc', keyBits: 192, integrity: 'hmac-sha1-96' },
  { cipher: '3des-cbc', keyBits: 192, integrity: 'hmac-md5-96' },
  { cipher: 'aes-gcm-16', keyBits: 128, integrity: undefined },
  { cipher: 'aes-gcm-16', keyBits: 256, integrity: undefined },
];

describe('Main Mode + Quick Mode between l2tpsec initiator and responder', () => {
  it('completes in exactly 9 messages and installs matching SA pairs over UDP 4500', () => {
    const { link, initiator } = pair();
    const seen = link.run(initiator.initiate(SERVER, CLIENT, link.clock.now()).actions);
    expect(ups(seen)).toHaveLength(2);
    const { i, r } = expectMatchingPair(seen);
    expect(link.sent).toHaveLength(9);
    // MM1-MM4 on 500, then the float to 4500 with the non-ESP marker (RFC 3947 s4).
    expect(link.sent.map((s) => s.to.port)).toEqual([500, 500, 500, 500, 4500, 4500, 4500, 4500, 4500]);
    expect(link.sent.slice(4).every((s) => s.nonEspMarker)).toBe(true);
    // Forced encapsulation: the responder's mismatching NAT-D makes the client encapsulate.
    expect([i.udpEncapsulation, r.udpEncapsulation, r.mode]).toEqual([true, true, 'transport']);
    expect(r.localSelector).toEqual({ address: SERVER.address, protocol: 17, port: 1701 });
    expect(r.remoteSelector).toEqual({ address: CLIENT.address, protocol: 17, port: 1701 });
    expect(r.natOaInitiator).toBe(CLIENT.address);
  });

  for (const s of PHASE1) {
    it(`phase 1 ${s.cipher.cipher}-${s.cipher.keyBits}/${s.hash}/group ${s.group}`, () => {
      const { link, initiator } = pair({}, { initiatorSuites: [s] }, `p1-${s.group}-${s.hash}`);
      const seen = link.run(initiator.initiate(SERVER, CLIENT, link.clock.now()).actions);
      expect(ups(seen).map((u) => u.type === 'ike-sa-up' && u.suite)[0]).toContain(s.hash);
      expectMatchingPair(seen);
    });
  }

  for (const e of ESP) {
    it(`ESP ${e.cipher}-${e.keyBits}/${e.integrity ?? 'aead'}`, () => {
      const { link, initiator } = pair(
        {},
        { initiatorEsp: [e] },
        `esp-${e.cipher}-${e.keyBits}-${e.integrity}`,
      );
      const { r } = expectMatchingPair(
        link.run(initiator.initiate(SERVER, CLIENT, link.clock.now()).actions),
      );
      expect([r.cipher, r.encryptionKeyBits, r.integrity]).toEqual([e.cipher, e.keyBits, e.integrity]);
      expect(r.inbound.encryption).toHaveLength(e.keyBits / 8);
      expect(r.inbound.salt).toHaveLength(e.cipher === 'aes-gcm-16' ? 4 : 0);
    });
  }

  it('Quick Mode with PFS (group 14 KE in QM1/QM2) gives keys different from the same exchange without', () => {
    const { link, initiator } = pair({}, { initiatorPfsGroup: 14 }, 'pfs');
    const { r } = expectMatchingPair(link.run(initiator.initiate(SERVER, CLIENT, link.clock.now()).actions));
    const plain = pair({}, {}, 'pfs');
    const { r: r2 } = expectMatchingPair(
      plain.link.run(plain.initiator.initiate(SERVER, CLIENT, 1000).actions),
    );
    expect(r.spiIn).toBe(r2.spiIn); // same seeded randomness…
    expect(r.inbound.encryption.equals(r2.inbound.encryption)).toBe(false); // …but g(qm)^xy enters KEYMAT
  });

  it('Android sha2 truncbug: HMAC-SHA2-256 ICV of 12 bytes when configured', () => {
    const { link, initiator } = pair(
      { esp: { ...pair().responder.cfg.esp, sha256Truncated96: true } },
      { initiatorEsp: [{ cipher: 'aes-cbc', keyBits: 128, integrity: 'hmac-sha256-128' }] },
    );
    const { r } = expectMatchingPair(link.run(initiator.initiate(SERVER, CLIENT, link.clock.now()).actions));
    expect(r.icvBytes).toBe(12);
  });

  it('without NAT-T forcing and without raw ESP the responder refuses transport mode', () => {
    const { link, initiator, responder } = pair({ forceEncapsulation: false });
    const seen = link.run(initiator.initiate(SERVER, CLIENT, link.clock.now()).actions);
    expect(ups(seen)).toHaveLength(2);
    expect(installs(seen)).toHaveLength(0);
    expect(responder.counters.get('no-proposal-chosen')).toBe(1);
    // The refusal travels as an encrypted NO-PROPOSAL-CHOSEN notify and ends the initiator's Quick Mode.
    expect(seen.find((a) => a.type === 'child-sa-failed')).toMatchObject({ notify: 14 });
    link.advance(10_000);
    expect(initiator.counters.get('retransmit')).toBe(0); // no QM1 retransmission pending
  });

  it('with raw ESP allowed and no forcing, plain transport mode is negotiated', () => {
    const { link, initiator, responder } = pair({
      forceEncapsulation: false,
      esp: { ...pair().responder.cfg.esp, allowRawEsp: true },
    });
    const { r } = expectMatchingPair(link.run(initiator.initiate(SERVER, CLIENT, link.clock.now()).actions));
    expect(r.udpEncapsulation).toBe(false);
    expect(responder.counters.get('no-proposal-chosen')).toBe(0);
  });

  it('an ESP lifetime above the maximum is capped: RESPONDER-LIFETIME in QM2 and both sides enforce it', () => {
    const { link, initiator } = pair(
      { esp: { ...pair().responder.cfg.esp, maxLifetimeSeconds: 1200 } },
      { initiatorEspLifetimeSeconds: 3600 },
    );
    const { i, r } = expectMatchingPair(
      link.run(initiator.initiate(SERVER, CLIENT, link.clock.now()).actions),
    );
    expect([i.lifetimeSeconds, r.lifetimeSeconds]).toEqual([1200, 1200]);
  });

  it('the initiator behind NAT sends 0xFF keep-alives on 4500 every 20 s (RFC 3948 s2.3)', () => {
    const { link, initiator, responder } = pair();
    link.run(initiator.initiate(SERVER, CLIENT, link.clock.now()).actions);
    const before = link.sent.length;
    link.advance(41_000);
    const ka = link.sent.slice(before).filter((s) => s.data.length === 1 && s.data[0] === 0xff);
    expect(ka).toHaveLength(2);
    expect(ka[0]).toMatchObject({ to: { address: SERVER.address, port: 4500 }, nonEspMarker: false });
    expect(responder.counters.get('nat-keepalive')).toBe(2);
  });

  it('a wrong PSK fails cleanly on both sides', () => {
    const { link, initiator, responder } = pair({ psk: 'right' }, { psk: 'wrong' });
    const seen = link.run(initiator.initiate(SERVER, CLIENT, link.clock.now()).actions);
    expect(ups(seen)).toHaveLength(0);
    expect(seen.find((a) => a.type === 'ike-sa-down')).toMatchObject({ reason: 'failed' });
    expect(responder.ikeSas()).toHaveLength(0);
    expect(initiator.ikeSas()).toHaveLength(0);
    expect(
      responder.counters.get('malformed') + responder.counters.get('authentication-failed'),
    ).toBeGreaterThan(0);
    expect(responder.halfOpen).toBe(0);
  });
});

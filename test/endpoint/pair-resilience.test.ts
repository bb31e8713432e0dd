/**
 * The endpoint pair (see pair.test.ts) when the network and the peers misbehave: NAT in between (RFC 3947,
 * RFC 3948), several clients behind one NAT, SA lifetimes and rekeying (RFC 2409 section 5.5), dead peers
 * (RFC 3706), a client that crashes and reconnects (INITIAL-CONTACT, RFC 2407 section 4.6.3.3), and lossy,
 * duplicating links.
 */
import { describe, expect, it } from 'vitest';
import { VpnSession } from '../../src/endpoint/session.js';
import { ipv4ToInt } from '../../src/net/ipv4-address.js';
import { icmpEcho } from './support/ipv4.js';
import { SERVER_ADDRESS, SERVER_TUNNEL_ADDRESS, USER, waitFor } from './support/pair.js';
import { carry, clientUp, NOTHING, pairLifecycle, roundTrip } from './support/scenario.js';

const pairs = pairLifecycle();

describe('endpoint pair: NAT traversal', () => {
  it('one client behind NAT: UDP encapsulation on 4500 through the NAT mapping', async () => {
    const p = await pairs.up({ nat: true });
    const c = p.client;
    const natPort = p.net.natPortOf(c.address, 4500);
    expect(natPort).toBeDefined();
    const sSa = p.server.of('sa-installed')[0].params;
    expect(sSa.udpEncapsulation).toBe(true);
    expect(sSa.peer).toEqual({ address: p.net.natAddress, port: natPort });
    expect(c.of('sa-installed')[0].params.udpEncapsulation).toBe(true);
    await roundTrip(p, c, 'nat');
    // Nothing went as raw ESP; after Main Mode's first exchanges everything moved to 4500, which the NAT
    // maps to natPort: ESP (non-zero SPI) and IKE behind the non-ESP marker alike.
    const floated = p.net.wire.filter((w) => w.from.port !== 500 && w.to.port !== 500);
    expect(floated.filter((w) => w.data.readUInt32BE(0) !== 0).length).toBeGreaterThan(0);
    for (const w of p.net.wire) expect(w.from.port * w.to.port).not.toBe(0);
    for (const w of floated) expect([w.from.port, w.to.port].sort()).toEqual([4500, natPort].sort());
  });

  it('the client behind NAT sends RFC 3948 keep-alives; the server counts and drops them', async () => {
    const p = await pairs.up({ nat: true, clients: [{ ike: { natKeepaliveMs: 100 } }] });
    await waitFor(
      'keep-alives at the server',
      () => (p.server.endpoint.counterSnapshot().datapath['natt-keepalive'] ?? 0) >= 2,
      3000,
    );
    const keepalives = p.net.wire.filter((w) => w.data.length === 1 && w.data[0] === 0xff);
    expect(keepalives.length).toBeGreaterThanOrEqual(2);
    for (const w of keepalives) expect(w.to).toEqual({ address: SERVER_ADDRESS, port: 4500 });
    await roundTrip(p, p.client, 'kept-alive');
  });

  it('two clients behind one NAT at once: separate IKE SAs, addresses and routes', async () => {
    const p = await pairs.up({ nat: true, clients: [{}, { user: 'bob', password: "bob's secret" }] });
    const [a, b] = p.clients;
    expect(p.server.endpoint.ike.ikeSas()).toHaveLength(2);
    expect(p.server.endpoint.peers.size).toBe(2);
    expect(p.server.endpoint.sessions.size).toBe(2);
    expect(p.pool.leased).toBe(2);
    const addrA = clientUp(a).localAddress;
    const addrB = clientUp(b).localAddress;
    expect(addrA).not.toBe(addrB);
    expect(
      p.server
        .of('session-up')
        .map((e) => e.user)
        .sort(),
    ).toEqual(['alice', 'bob']);
    await roundTrip(p, a, 'a');
    await roundTrip(p, b, 'b');
    // Each client received only its own reply.
    expect(a.device.packets).toHaveLength(1);
    expect(b.device.packets).toHaveLength(1);
    // Client A may not use B's address.
    const stolen = icmpEcho(addrB, SERVER_TUNNEL_ADDRESS, 3, Buffer.from('stolen'));
    a.endpoint.outbound.packet(stolen, 0, stolen.length);
    await waitFor(
      'the spoof counter',
      () => (p.server.endpoint.counterSnapshot().datapath['ip-spoofed-source'] ?? 0) === 1,
    );
    expect(p.server.device.packets).toHaveLength(2);
    // Nor inject into B's L2TP session through its own SA (RFC 3193 section 4): A sends a PPP frame addressed
    // with the server's Tunnel and Session IDs of B's session, source B's address.
    const bAtServer = p.server.endpoint.sessions.byInnerAddress(ipv4ToInt(addrB));
    const aAtClient = [...a.endpoint.sessions.all()][0];
    if (bAtServer === undefined || aAtClient === undefined) throw new Error('sessions missing');
    const forged = new VpnSession(
      aAtClient.tunnelId,
      aAtClient.sessionId,
      bAtServer.tunnelId,
      bAtServer.sessionId,
      false,
      aAtClient.peerKey,
      aAtClient.ppp,
    );
    const inject = icmpEcho(addrB, SERVER_TUNNEL_ADDRESS, 4, Buffer.from('injected'));
    a.endpoint.outbound.pppFrame(forged, Buffer.concat([Buffer.from([0xff, 0x03, 0x00, 0x21]), inject]));
    await waitFor(
      'the wrong-peer counter',
      () => (p.server.endpoint.counterSnapshot().datapath['l2tp-wrong-peer'] ?? 0) === 1,
    );
    expect(p.server.device.packets).toHaveLength(2);
    // One leaves; the other keeps working and keeps its lease.
    await a.endpoint.shutdown(200);
    await waitFor(
      'one session left on the server',
      () => p.server.endpoint.sessions.size === 1 && p.pool.leased === 1,
      5000,
    );
    await roundTrip(p, b, 'b-again');
  });
});

describe('endpoint pair: lossy link', () => {
  it('5% loss and 2% duplication: still comes up; data arrives once, duplicates die in the replay window', async () => {
    const p = await pairs.up(
      { net: { loss: 0.05, duplicate: 0.02, seed: 'lossy-15' }, seed: 'lossy' },
      20_000,
    );
    const c = p.client;
    const lost = p.net.wire.filter((w) => w.verdict === 'lost').length;
    // The run really was lossy: with this seed the 4th datagram of Main Mode (MM4) is lost and the 2nd (MM2)
    // duplicated, so retransmission and duplicate detection both had to work.
    expect(lost).toBeGreaterThan(0);
    const address = clientUp(c).localAddress;
    const mark = p.net.wire.length;
    const sent: Buffer[] = [];
    for (let i = 0; i < 40; i++) {
      const pkt = icmpEcho(address, SERVER_TUNNEL_ADDRESS, i, Buffer.from(`lossy ${i}`));
      sent.push(pkt);
      c.endpoint.outbound.packet(pkt, 0, pkt.length);
    }
    // outbound.packet sends synchronously: these 40 wire records are exactly the 40 ESP datagrams.
    const fates = p.net.wire.slice(mark, mark + 40).map((w) => w.verdict);
    const expected = sent.filter((_, i) => fates[i] !== 'lost');
    await p.net.settle();
    await waitFor('the surviving packets', () => p.server.device.packets.length >= expected.length, 3000);
    const received = p.server.device.packets.filter((b) => b.includes('lossy '));
    expect(received).toEqual(expected);
    const duplicated = fates.filter((f) => f === 'duplicated').length;
    expect(p.server.endpoint.counterSnapshot().datapath['esp-drop'] ?? 0).toBeGreaterThanOrEqual(duplicated);
  });
});

describe('endpoint pair: SA lifetimes and dead peers', () => {
  it('the client rekeys ESP at its soft lifetime (new Quick Mode); traffic keeps flowing and the old SAs go', async () => {
    const p = await pairs.up({ clients: [{ ike: { initiatorEspLifetimeSeconds: 3 } }] });
    const c = p.client;
    const address = clientUp(c).localAddress;
    const firstSpi = c.of('sa-installed')[0].params.spiOut;
    let seq = 0;
    const sendOne = async () => {
      const pkt = icmpEcho(address, SERVER_TUNNEL_ADDRESS, seq, Buffer.from(`rekey ${seq++}`));
      expect(await carry(c, p.server, pkt)).toEqual(pkt);
    };
    // Soft expiry at 2 s (90 %), hard at 3 s: send through the cut-over and past the old SAs' end.
    const end = Date.now() + 4000;
    while (Date.now() < end) {
      await sendOne();
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(c.of('sa-installed').length).toBeGreaterThanOrEqual(2);
    expect(p.server.of('sa-installed').length).toBeGreaterThanOrEqual(2);
    expect(c.endpoint.sad.list().some((sa) => sa.spi === firstSpi)).toBe(false);
    expect(p.server.endpoint.sessions.size).toBe(1);
    expect(c.of('session-down')).toHaveLength(0);
    await roundTrip(p, c, 'after-rekey');
  });

  it('a client that vanishes: DPD (RFC 3706) declares it dead and the server frees its session and lease', async () => {
    const p = await pairs.up({ serverIke: { dpdIdleMs: 300, dpdRetryMs: 200, dpdTries: 2 } });
    expect(p.pool.leased).toBe(1);
    p.net.cut(p.client.address);
    await waitFor('server session-down', () => p.server.of('session-down').length > 0, 5000);
    await waitFor(
      'the server to hold nothing',
      () => Object.values(p.serverHoldings()).every((n) => n === 0),
      5000,
    );
    expect(p.serverHoldings()).toEqual(NOTHING);
    expect(p.server.endpoint.ike.counters.snapshot()['peer-dead']).toBe(1);
    // The session's end names its cause (the SA gone with its peer), not an LCP renegotiation.
    expect(p.server.of('session-down').map((e) => e.reason)).toEqual(['IPsec peer dead (DPD)']);
  });
});

describe('endpoint pair: a client that crashes and reconnects', () => {
  for (const nat of [false, true]) {
    it(`${nat ? 'behind NAT' : 'direct'}: INITIAL-CONTACT clears the stale state; one session, one lease, data flows`, async () => {
      const p = await pairs.up({ nat });
      const oldAddress = clientUp(p.client).localAddress;
      const c = p.restartClient(0);
      p.dial(c);
      await waitFor(
        'the new session on both sides',
        () => p.server.of('session-up').length === 2 && c.of('session-up').length === 1,
      );
      // RFC 2407 section 4.6.3.3: the fresh client's INITIAL-CONTACT made the server drop the old IKE SA, its
      // ESP SAs, and so the old tunnel, session and lease.
      await waitFor(
        'the stale session to go',
        () => p.server.endpoint.sessions.size === 1 && p.pool.leased === 1,
      );
      expect(p.server.of('session-down').map((e) => e.reason)).toEqual([
        'IPsec SA deleted (initial-contact)',
      ]);
      expect(p.server.endpoint.ike.ikeSas()).toHaveLength(1);
      expect(p.server.endpoint.sad.size).toBe(2);
      expect(p.server.endpoint.peers.size).toBe(1);
      await waitFor('the stale tunnel to go', () => p.server.endpoint.l2tp.tunnelCount === 1, 3000);
      expect(p.pool.holder(clientUp(c).localAddress)?.user).toBe(USER);
      expect(p.pool.holder(oldAddress) === undefined || clientUp(c).localAddress === oldAddress).toBe(true);
      await roundTrip(p, c, 'reborn');
    });
  }
});

describe('endpoint pair: a harsher link', () => {
  for (const seed of [1, 2, 3, 4]) {
    it(`10% loss, 5% duplication (seed ${seed}${seed % 2 === 0 ? ', NAT' : ''}): comes up and carries data`, async () => {
      const p = await pairs.up(
        {
          net: { loss: 0.1, duplicate: 0.05, seed: `harsh-${seed}` },
          seed: `harsh-${seed}`,
          nat: seed % 2 === 0,
        },
        20_000,
      );
      expect(p.pool.leased).toBe(1);
      const address = clientUp(p.client).localAddress;
      // Some packets may be lost on the way; every one that arrives is intact and arrives once.
      const sent = new Map<string, Buffer>();
      for (let i = 0; i < 20; i++) {
        const pkt = icmpEcho(address, SERVER_TUNNEL_ADDRESS, i, Buffer.from(`harsh ${i}`));
        sent.set(pkt.toString('hex'), pkt);
        p.client.endpoint.outbound.packet(pkt, 0, pkt.length);
      }
      await p.net.settle();
      const got = p.server.device.packets.map((b) => b.toString('hex'));
      expect(got.length).toBeGreaterThan(10);
      expect(new Set(got).size).toBe(got.length);
      for (const g of got) expect(sent.has(g)).toBe(true);
    });
  }
});

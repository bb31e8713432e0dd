/**
 * The whole stack in one process (issue 7): a server VpnEndpoint and client VpnEndpoints over an in-memory
 * outer network. IKEv1 Main + Quick Mode (RFC 2409), ESP in UDP (RFC 3948), L2TP tunnel and session
 * (RFC 2661), PPP LCP / authentication / IPCP (RFC 1661, 1994, 2759, 1334, 1332) all come up for real, then
 * IPv4 packets cross the tunnel byte-exact in both directions.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { EndpointEvent } from '../../src/endpoint/vpn-endpoint.js';
import type { EspSuiteChoice } from '../../src/ike/esp-policy.js';
import { ipv4ToInt } from '../../src/net/ipv4-address.js';
import type { AuthMethod } from '../../src/ppp/auth-protocol.js';
import { icmpEcho, internetChecksum, tcpChecksum, tcpSyn, udpPacket } from './support/ipv4.js';
import {
  DNS,
  PASSWORD,
  Pair,
  type PairOptions,
  POOL_RANGE,
  SERVER_ADDRESS,
  SERVER_TUNNEL_ADDRESS,
  type Side,
  USER,
  waitFor,
} from './support/pair.js';

type SessionUp = Extract<EndpointEvent, { type: 'session-up' }>;

const NOTHING = { sessions: 0, l2tpTunnels: 0, l2tpSessions: 0, espSas: 0, ikeSas: 0, peers: 0, leases: 0 };

let pair: Pair | undefined;
afterEach(async () => {
  await pair?.close();
  pair = undefined;
});

function inPool(address: string): boolean {
  const [first, last] = POOL_RANGE.split('-').map(ipv4ToInt);
  const a = ipv4ToInt(address);
  return a >= first && a <= last;
}

/** Builds a pair, dials every client, and waits until PPP is up on both ends of each. */
async function upPair(opts: PairOptions = {}, timeoutMs = 10_000): Promise<Pair> {
  const p = new Pair(opts);
  pair = p;
  for (const c of p.clients) p.dial(c);
  await waitFor(
    'session-up on the server and every client',
    () =>
      p.server.of('session-up').length === p.clients.length &&
      p.clients.every((c) => c.of('session-up').length === 1),
    timeoutMs,
  );
  return p;
}

function clientUp(c: Side): SessionUp {
  return c.of('session-up')[0];
}

/** Sends `packet` into `from`'s TUN side and waits for it on `to`'s device; returns what arrived. */
async function carry(from: Side, to: Side, packet: Buffer): Promise<Buffer> {
  const before = to.device.packets.length;
  from.endpoint.outbound.packet(packet, 0, packet.length);
  await waitFor('the packet on the far device', () => to.device.packets.length > before, 3000);
  return to.device.packets[before];
}

/** Client → server ICMP echo and server → client UDP, each compared byte for byte. */
async function roundTrip(p: Pair, c: Side, tag: string): Promise<void> {
  const address = clientUp(c).localAddress;
  const echo = icmpEcho(address, SERVER_TUNNEL_ADDRESS, 7, Buffer.from(`ping ${tag}`));
  expect(await carry(c, p.server, echo)).toEqual(echo);
  const reply = udpPacket(SERVER_TUNNEL_ADDRESS, address, 53, 40000, Buffer.from(`answer ${tag}`));
  expect(await carry(p.server, c, reply)).toEqual(reply);
}

describe('endpoint pair: the whole chain comes up and carries IPv4', () => {
  it('MS-CHAPv2 (default): IKE SA, ESP SAs, L2TP tunnel + session, PPP with a pool address, data both ways', async () => {
    const p = await upPair();
    const c = p.client;
    // IKE: one SA each side, both report the same suite; two ESP SAs (in + out) installed on each side.
    expect(p.server.of('ike-up')).toHaveLength(1);
    expect(c.of('ike-up')).toHaveLength(1);
    expect(c.of('ike-up')[0].suite).toBe(p.server.of('ike-up')[0].suite);
    expect(p.server.of('sa-installed')).toHaveLength(1);
    expect(c.of('sa-installed')).toHaveLength(1);
    const sSa = p.server.of('sa-installed')[0].params;
    const cSa = c.of('sa-installed')[0].params;
    expect([sSa.spiIn, sSa.spiOut]).toEqual([cSa.spiOut, cSa.spiIn]);
    expect(p.server.endpoint.sad.size).toBe(2);
    expect(c.endpoint.sad.size).toBe(2);
    // L2TP: one tunnel, one session, each side.
    expect(p.server.endpoint.l2tp.tunnelCount).toBe(1);
    expect(p.server.endpoint.l2tp.sessionCount).toBe(1);
    expect(c.endpoint.l2tp.tunnelCount).toBe(1);
    expect(c.endpoint.l2tp.sessionCount).toBe(1);
    // PPP: the client got an address from the pool; both sides agree on both ends and on DNS.
    const sUp = p.server.of('session-up')[0];
    const cUp = clientUp(c);
    expect(sUp.user).toBe(USER);
    expect(sUp.session.ppp.lcp.negotiated.auth).toBe('mschapv2');
    expect(inPool(cUp.localAddress)).toBe(true);
    expect(cUp.localAddress).toBe(sUp.peerAddress);
    expect(cUp.peerAddress).toBe(SERVER_TUNNEL_ADDRESS);
    expect(sUp.localAddress).toBe(SERVER_TUNNEL_ADDRESS);
    expect(cUp.dns).toEqual(DNS);
    expect(p.pool.leased).toBe(1);
    expect(p.pool.holder(cUp.localAddress)?.user).toBe(USER);

    await roundTrip(p, c, 'mschapv2');
    // Nothing of the inner packets crossed the outer wire in the clear: after Main Mode every datagram is
    // ESP or encrypted ISAKMP.
    for (const w of p.net.wire) expect(w.data.includes('ping mschapv2')).toBe(false);
    expect(p.server.endpoint.sessions.byInnerAddress(ipv4ToInt(cUp.localAddress))?.packetsIn).toBe(1);
  });

  it('drops and counts a packet whose source is not the address IPCP assigned (anti-spoofing)', async () => {
    const p = await upPair();
    const c = p.client;
    const spoofed = icmpEcho('192.168.42.99', SERVER_TUNNEL_ADDRESS, 1, Buffer.from('spoofed'));
    const before = p.server.endpoint.counterSnapshot().datapath['ip-spoofed-source'] ?? 0;
    c.endpoint.outbound.packet(spoofed, 0, spoofed.length);
    await waitFor(
      'the spoof counter',
      () => (p.server.endpoint.counterSnapshot().datapath['ip-spoofed-source'] ?? 0) > before,
    );
    expect(p.server.device.packets).toHaveLength(0);
    // The same tunnel still carries a genuine packet afterwards.
    await roundTrip(p, c, 'after-spoof');
    // A server-side packet to an address no session holds has no route.
    const stray = udpPacket(SERVER_TUNNEL_ADDRESS, '192.168.42.77', 1, 2, Buffer.from('x'));
    p.server.endpoint.outbound.packet(stray, 0, stray.length);
    expect(p.server.endpoint.counterSnapshot().datapath['no-route']).toBe(1);
  });

  it('clamps the MSS of a TCP SYN crossing the tunnel to 1360 (checksum still valid) and leaves smaller ones', async () => {
    const p = await upPair();
    const address = clientUp(p.client).localAddress;
    // MSS 1460 at an aligned offset, then behind one NOP (odd offset: RFC 1624's byte-swapped update).
    for (const options of [
      [2, 4, 0x05, 0xb4],
      [1, 2, 4, 0x05, 0xb4],
    ]) {
      const syn = tcpSyn(address, SERVER_TUNNEL_ADDRESS, options);
      const got = await carry(p.client, p.server, syn);
      const at = 40 + options.indexOf(2) + 2;
      expect(got.readUInt16BE(at)).toBe(1360);
      expect(tcpChecksum(got)).toBe(0);
      // Only the MSS value and the TCP checksum changed.
      const masked = (b: Buffer) => {
        const c = Buffer.from(b);
        c.writeUInt16BE(0, at);
        c.writeUInt16BE(0, 36);
        return c;
      };
      expect(masked(got)).toEqual(masked(syn));
    }
    const small = tcpSyn(address, SERVER_TUNNEL_ADDRESS, [2, 4, 0x04, 0xb0]);
    expect(await carry(p.client, p.server, small)).toEqual(small);
  });

  for (const method of ['chap-md5', 'pap'] as const) {
    it(`${method} when the server offers only it`, async () => {
      const p = await upPair({ serverAuthMethods: [method] });
      expect(p.server.of('session-up')[0].session.ppp.lcp.negotiated.auth).toBe(method);
      expect(p.server.of('session-up')[0].user).toBe(USER);
      await roundTrip(p, p.client, method);
    });
  }
});

describe('endpoint pair: refusals leave nothing behind', () => {
  const methods: readonly AuthMethod[] = ['mschapv2', 'chap-md5', 'pap'];
  for (const method of methods) {
    it(`wrong password (${method}) → auth-failed, session down, no lease, no session left`, async () => {
      const p = new Pair({ serverAuthMethods: [method], clients: [{ password: `${PASSWORD}!` }] });
      pair = p;
      p.dial();
      await waitFor('auth-failed on the server', () => p.server.of('auth-failed').length > 0);
      expect(p.server.of('auth-failed')[0]).toMatchObject({ method, user: USER });
      await waitFor(
        'session-down on both sides',
        () => p.server.of('session-down').length > 0 && p.client.of('session-down').length > 0,
      );
      await waitFor(
        'no session on either side',
        () =>
          p.server.endpoint.sessions.size === 0 &&
          p.client.endpoint.sessions.size === 0 &&
          p.server.endpoint.l2tp.sessionCount === 0,
      );
      expect(p.server.of('session-up')).toHaveLength(0);
      expect(p.client.of('session-up')).toHaveLength(0);
      expect(p.pool.leased).toBe(0);
      expect(p.server.device.packets).toHaveLength(0);
    });
  }

  it('wrong PSK → Main Mode fails, no IKE SA and no ESP SA on either side', async () => {
    const p = new Pair({ clients: [{ psk: 'not-the-psk' }] });
    pair = p;
    p.dial();
    await waitFor('the client to give up on IKE', () => p.client.of('ike-down').length > 0);
    expect(p.client.of('ike-down')[0].reason).toBe('failed');
    await waitFor('the server to drop its half', () => p.server.endpoint.ike.ikeSas().length === 0);
    expect(p.server.of('ike-up')).toHaveLength(0);
    expect(p.client.of('ike-up')).toHaveLength(0);
    expect(p.serverHoldings()).toEqual(NOTHING);
    expect(p.clientHoldings()).toEqual(NOTHING);
  });
});

describe('endpoint pair: teardown frees every SA, session and lease', () => {
  it('from the client (shutdown)', async () => {
    const p = await upPair();
    await p.client.endpoint.shutdown(200);
    await waitFor('server session-down', () => p.server.of('session-down').length > 0);
    await waitFor(
      'the server to hold nothing',
      () => Object.values(p.serverHoldings()).every((n) => n === 0),
      5000,
    );
    expect(p.serverHoldings()).toEqual(NOTHING);
    expect(p.clientHoldings()).toEqual(NOTHING);
    expect(p.client.of('session-down')).toHaveLength(1);
  });

  it('from the server (shutdown)', async () => {
    const p = await upPair();
    await p.server.endpoint.shutdown(200);
    await waitFor('client session-down', () => p.client.of('session-down').length > 0);
    await waitFor(
      'the client to hold nothing',
      () => Object.values(p.clientHoldings()).every((n) => n === 0),
      5000,
    );
    expect(p.clientHoldings()).toEqual(NOTHING);
    expect(p.serverHoldings()).toEqual(NOTHING);
    expect(p.server.of('session-down')).toHaveLength(1);
  });
});

describe('endpoint pair: NAT traversal', () => {
  it('one client behind NAT: UDP encapsulation on 4500 through the NAT mapping', async () => {
    const p = await upPair({ nat: true });
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

  it('two clients behind one NAT at once: separate IKE SAs, addresses and routes', async () => {
    const p = await upPair({ nat: true, clients: [{}, { user: 'bob', password: "bob's secret" }] });
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

describe('endpoint pair: several clients and L2TP options', () => {
  it('eight clients behind one NAT: eight IKE SAs, eight distinct pool addresses, no cross-talk', async () => {
    const p = await upPair({ nat: true, clients: Array.from({ length: 8 }, () => ({})) }, 15_000);
    const addresses = p.clients.map((c) => clientUp(c).localAddress);
    expect(new Set(addresses).size).toBe(8);
    expect(p.pool.leased).toBe(8);
    expect(p.server.endpoint.ike.ikeSas()).toHaveLength(8);
    expect(p.server.endpoint.l2tp.tunnelCount).toBe(8);
    // The server reaches each client by its inner address, and only that client.
    for (const [i, c] of p.clients.entries()) {
      const pkt = udpPacket(SERVER_TUNNEL_ADDRESS, addresses[i], 53, 1000 + i, Buffer.from(`to ${i}`));
      expect(await carry(p.server, c, pkt)).toEqual(pkt);
    }
    for (const c of p.clients) expect(c.device.packets).toHaveLength(1);
  });

  it('data sequencing requested by the LAC (RFC 2661 section 5.4): data messages carry Ns both ways', async () => {
    const p = await upPair({ clients: [{ l2tp: { requireDataSequencing: true } }] });
    const server = [...p.server.endpoint.sessions.all()][0];
    expect(server.sequencing).toBe(true);
    const before = server.dataNs;
    await roundTrip(p, p.client, 'sequenced');
    expect(server.dataNs).toBe(before + 1);
  });
});

describe('endpoint pair: ESP suites', () => {
  const suites: readonly [string, EspSuiteChoice][] = [
    ['aes128-sha1', { cipher: 'aes-cbc', keyBits: 128, integrity: 'hmac-sha1-96' }],
    ['3des-sha1', { cipher: '3des-cbc', keyBits: 192, integrity: 'hmac-sha1-96' }],
    ['aes128gcm16', { cipher: 'aes-gcm-16', keyBits: 128, integrity: undefined }],
  ];
  for (const [name, suite] of suites) {
    it(`${name}: negotiated on both sides and carries data`, async () => {
      const p = await upPair({ clients: [{ esp: [suite] }] });
      for (const side of [p.server, p.client]) {
        const params = side.of('sa-installed')[0].params;
        expect(params.cipher).toBe(suite.cipher);
        expect(params.encryptionKeyBits).toBe(suite.keyBits);
        expect(params.integrity).toBe(suite.integrity);
      }
      await roundTrip(p, p.client, name);
    });
  }
});

describe('endpoint pair: lossy link', () => {
  it('5% loss and 2% duplication: still comes up; data arrives once, duplicates die in the replay window', async () => {
    const p = await upPair({ net: { loss: 0.05, duplicate: 0.02, seed: 'lossy-15' }, seed: 'lossy' }, 20_000);
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

describe('ipv4 test packets', () => {
  it('compute the RFC 791 header checksum (known header: 4500 0073 … checksum b861)', () => {
    const header = Buffer.from('450000730000400040110000c0a80001c0a800c7', 'hex');
    expect(internetChecksum(header, 0, 20).toString(16)).toBe('b861');
    const pkt = udpPacket(SERVER_ADDRESS, SERVER_TUNNEL_ADDRESS, 1, 2, Buffer.from('abc'));
    expect(internetChecksum(pkt, 0, 20)).toBe(0);
    expect(internetChecksum(icmpEcho('1.2.3.4', '5.6.7.8', 1, Buffer.alloc(5)), 20)).toBe(0);
  });
});

describe('endpoint pair: SA lifetimes and dead peers', () => {
  it('the client rekeys ESP at its soft lifetime (new Quick Mode); traffic keeps flowing and the old SAs go', async () => {
    const p = await upPair({ clients: [{ ike: { initiatorEspLifetimeSeconds: 3 } }] });
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
    const p = await upPair({ serverIke: { dpdIdleMs: 300, dpdRetryMs: 200, dpdTries: 2 } });
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
      const p = await upPair({ nat });
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
      const p = await upPair(
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

/**
 * Issue 7's proof, second part: two `l2tpsec connect` clients behind one nftables masquerade (their own
 * namespaces, each on its own link of the NAT namespace) reach one `l2tpsec server` at the same time. The
 * server sees both as the NAT's address, on different source ports once the NAT has re-mapped the second
 * one: IKE must float to 4500 (RFC 3947), ESP must travel in UDP (RFC 3948) and each session must follow its
 * own mapping — a reply sent to the wrong port would reach the other client and fail its ICV.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOST_ADDRESS, LAN_NET, NAT_PUBLIC, SERVER_PUBLIC, Topology } from '../server/support/topology.js';
import { netnsUnavailable } from '../support/netns.js';
import {
  type CliProcess,
  cliUnavailable,
  disconnectCli,
  eventually,
  expectServerHoldsNothing,
  links,
  live,
  queryStatusCli,
  startClient,
  startServer,
} from './support/vpn-processes.js';

const unavailable = netnsUnavailable() ?? cliUnavailable();

describe.skipIf(unavailable !== undefined)(`two clients behind one NAT (${unavailable ?? 'root'})`, () => {
  const psk = randomBytes(12).toString('base64url');
  const users = [
    { name: 'alice', password: randomBytes(9).toString('base64url') },
    { name: 'bob', password: randomBytes(9).toString('base64url') },
  ];
  const control = join(tmpdir(), `l2s-e2enat-${process.pid}.sock`);
  let topo: Topology;
  let clients: CliProcess[] = [];

  beforeAll(async () => {
    topo = await Topology.create({ purpose: 'e2nat', clients: ['nat', 'nat'] });
    await startServer(topo, { psk, users }, control);
  });
  afterAll(async () => {
    await topo?.destroy();
    rmSync(control, { force: true });
  });

  it('both connect at once, each with its own address and session', async () => {
    clients = users.map((u, i) =>
      startClient(topo, i, {
        server: SERVER_PUBLIC,
        psk,
        user: u.name,
        password: u.password,
        routes: [LAN_NET],
      }),
    );
    const events = await Promise.all(clients.map((c) => c.waitForEvent('connected', 40_000)));
    const addresses = events.map((e) => String(e.json?.address));
    expect(new Set(addresses).size).toBe(2);
    for (const a of addresses) expect(a).toMatch(/^192\.168\.42\.\d+$/);

    const snap = await queryStatusCli(control);
    expect(snap.sessions.map((s) => s.user).sort()).toEqual(['alice', 'bob']);
    for (const s of snap.sessions) {
      expect(s.peer.address).toBe(NAT_PUBLIC);
      expect(s.encapsulation).toBe('udp');
      expect(s.assignedAddress).toBe(addresses[users.findIndex((u) => u.name === s.user)]);
    }
    // One NAT address, two mappings: the server keeps them apart by port, with distinct SAs.
    const ports = snap.sessions.map((s) => s.peer.port);
    expect(new Set(ports).size).toBe(2);
    expect(new Set(snap.sessions.map((s) => s.spis.inbound)).size).toBe(2);
    expect(snap.pool).toMatchObject({ leased: 2 });
    expect(live(snap)).toMatchObject({ ikeSas: 2, espSas: 4, pppSessions: 2, peers: 2 });
  });

  it('both reach the host behind the server at the same time', async () => {
    expect(
      clients.every((c) => c.event('connected') !== undefined),
      'not connected',
    ).toBe(true);
    const ok = await Promise.all(topo.clients.map((c) => topo.ping(c.ns, HOST_ADDRESS, 5)));
    expect(ok).toEqual([true, true]);
    const snap = await queryStatusCli(control);
    for (const s of snap.sessions) expect(s.packetsIn).toBeGreaterThanOrEqual(5);
  });

  it('`l2tpsec disconnect <address>` ends that session only; the client sees it and can come back', async () => {
    expect(
      clients.every((c) => c.event('connected') !== undefined),
      'not connected',
    ).toBe(true);
    const alice = clients[0];
    const address = String(alice.event('connected')?.address);
    const { code, result } = await disconnectCli(control, address);
    expect(code).toBe(0);
    expect(result.disconnected).toEqual([{ user: 'alice', assignedAddress: address }]);
    // The server's LCP Terminate-Request and CDN end the client (it exits on its own, reporting why).
    const exit = await alice.exited;
    expect(alice.event('disconnected'), alice.transcript()).toBeDefined();
    expect(exit.code).not.toBeNull();
    const snap = await eventually(
      () => queryStatusCli(control),
      (s) => s.sessions.length === 1,
      5000,
    );
    expect(snap.sessions.map((s) => s.user)).toEqual(['bob']);
    expect(snap.pool).toMatchObject({ leased: 1 });
    expect(await topo.ping(topo.clients[1].ns, HOST_ADDRESS, 2)).toBe(true);
    // Nothing matches any more: exit status 1 and an empty answer.
    const again = await disconnectCli(control, address);
    expect(again).toEqual({ code: 1, result: { disconnected: [] } });
    // Alice dials again and gets through.
    clients[0] = startClient(topo, 0, {
      server: SERVER_PUBLIC,
      psk,
      user: 'alice',
      password: users[0].password,
      routes: [LAN_NET],
    });
    await clients[0].waitForEvent('connected', 40_000);
    expect(await topo.ping(topo.clients[0].ns, HOST_ADDRESS, 2)).toBe(true);
  });

  it('one leaving does not disturb the other; the last leaving frees everything', async () => {
    const [first, second] = clients;
    expect((await first.terminate()).code, first.transcript()).toBe(0);
    expect(await links(topo, topo.clients[0].ns)).not.toContain(String(first.event('connected')?.tun));
    const snap = await eventually(
      () => queryStatusCli(control),
      (s) => s.sessions.length === 1 && live(s).ikeSas === 1,
      5000,
    );
    expect(snap.sessions.map((s) => s.user)).toEqual(['bob']);
    expect(snap.pool).toMatchObject({ leased: 1 });
    expect(live(snap)).toMatchObject({ ikeSas: 1, espSas: 2, pppSessions: 1, peers: 1 });
    expect(await topo.ping(topo.clients[1].ns, HOST_ADDRESS, 3)).toBe(true);
    // The NAT'd client that left can no longer reach the host (its route went with its TUN).
    expect(await topo.ping(topo.clients[0].ns, HOST_ADDRESS, 1, 1)).toBe(false);

    expect((await second.terminate()).code, second.transcript()).toBe(0);
    await expectServerHoldsNothing(control);
  });
});

/**
 * Issue 7's proof, first part: `l2tpsec server` and `l2tpsec connect` as real processes in their own
 * network namespaces (test/server/support/topology.ts), nothing shared but the wire. The client gets an
 * address from the pool, reaches the server's tunnel address and the host behind the server (unreachable
 * without the VPN), carries TCP (iperf3), appears in `status --json` under its user name; a teardown from
 * either side leaves no lease, SA, PPP session or TUN behind.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOST_ADDRESS, LAN_NET, SERVER_PUBLIC, Topology } from '../server/support/topology.js';
import { netnsUnavailable } from '../support/netns.js';
import {
  type CliProcess,
  cliUnavailable,
  expectServerHoldsNothing,
  iperf3,
  links,
  live,
  queryStatusCli,
  startClient,
  startServer,
} from './support/vpn-processes.js';

const unavailable = netnsUnavailable() ?? cliUnavailable();
const TUNNEL_ADDRESS = '192.168.42.1';
const POOL_RE = /^192\.168\.42\.(\d+)$/;
/** The Prometheus endpoint, on the server namespace's own loopback. */
const METRICS = '127.0.0.1:9810';

describe.skipIf(unavailable !== undefined)(`l2tpsec server ⇄ connect (${unavailable ?? 'root'})`, () => {
  const psk = randomBytes(12).toString('base64url');
  const user = 'alice';
  const password = randomBytes(9).toString('base64url');
  const control = join(tmpdir(), `l2s-e2e-${process.pid}.sock`);
  let topo: Topology;
  let server: CliProcess;
  let client: CliProcess | undefined;

  const connectArgs = { server: SERVER_PUBLIC, psk, user, password, routes: [LAN_NET] };

  beforeAll(async () => {
    topo = await Topology.create({ purpose: 'e2e' });
    server = await startServer(topo, { psk, users: [{ name: user, password }] }, control, [
      '--metrics',
      METRICS,
    ]);
  });
  afterAll(async () => {
    await topo?.destroy();
    rmSync(control, { force: true });
  });

  const clientNs = () => topo.clients[0].ns;

  it('the client connects and gets an address from the pool', async () => {
    client = startClient(topo, 0, connectArgs);
    const ev = (await client.waitForEvent('connected', 30_000)).json!;
    expect(ev.user).toBe(user);
    expect(ev.serverAddress).toBe(TUNNEL_ADDRESS);
    const host = Number(POOL_RE.exec(String(ev.address))?.[1]);
    expect(host).toBeGreaterThanOrEqual(10);
    expect(host).toBeLessThanOrEqual(250);
    // The TUN in the client's namespace carries exactly that address, peer the server's tunnel address.
    const addr = await topo.exec(clientNs(), 'ip', ['-o', '-4', 'addr', 'show', 'dev', String(ev.tun)]);
    expect(addr).toContain(`inet ${ev.address} peer ${TUNNEL_ADDRESS}/32`);
    const routes = await topo.exec(clientNs(), 'ip', ['-4', 'route', 'show', LAN_NET]);
    expect(routes).toContain(`dev ${ev.tun}`);
  });

  it("pings the server's tunnel address and the host behind the server", async () => {
    expect(client?.event('connected'), 'not connected').toBeDefined();
    expect(await topo.ping(clientNs(), TUNNEL_ADDRESS, 3)).toBe(true);
    expect(await topo.ping(clientNs(), HOST_ADDRESS, 3)).toBe(true);
    // The six echoes and their six replies went through this session (the client has no other way there).
    const snap = await queryStatusCli(control);
    expect(snap.sessions[0].packetsIn).toBeGreaterThanOrEqual(6);
    expect(snap.sessions[0].packetsOut).toBeGreaterThanOrEqual(6);
  });

  it('carries TCP: iperf3 from the client to the host behind the server', async () => {
    expect(client?.event('connected'), 'not connected').toBeDefined();
    const r = await iperf3(topo, clientNs(), HOST_ADDRESS, 3);
    process.stdout.write(
      `e2e iperf3 TCP through the tunnel (3 s, 1 stream): ${r.receivedMbps.toFixed(1)} Mbit/s received, ` +
        `${r.sentMbps.toFixed(1)} sent, ${r.retransmits} retransmits\n`,
    );
    expect(r.receivedMbps).toBeGreaterThan(0);
    const snap = await queryStatusCli(control);
    // At least the 3 s of TCP went through the session's counters (far more than the handshake's bytes).
    expect(snap.sessions[0].bytesIn).toBeGreaterThan(1_000_000);
    expect(snap.counters.datapath['mss-clamped'] ?? 0).toBeGreaterThan(0);
  });

  it('status --json lists the session with its user name, address, peer and SPIs', async () => {
    const ev = client?.event('connected');
    expect(ev, 'not connected').toBeDefined();
    const snap = await queryStatusCli(control);
    expect(snap.sessions).toHaveLength(1);
    const s = snap.sessions[0];
    expect(s.user).toBe(user);
    expect(s.assignedAddress).toBe(ev?.address);
    expect(s.peer.address).toBe(topo.clients[0].address);
    expect(s.encapsulation).toBe('udp');
    expect(s.peer.port).toBe(4500);
    expect(s.spis.inbound).toMatch(/^[0-9a-f]{8}$/);
    expect(s.spis.outbound).toMatch(/^[0-9a-f]{8}$/);
    expect(s.spis.inbound).not.toBe('00000000');
    expect(snap.pool).toMatchObject({ leased: 1 });
    expect(live(snap)).toMatchObject({ ikeSas: 1, espSas: 2, pppSessions: 1, peers: 1, l2tpSessions: 1 });
  });

  it('Prometheus /metrics agrees with status --json', async () => {
    expect(client?.event('connected'), 'not connected').toBeDefined();
    const scrape = `fetch('http://${METRICS}/metrics').then((r) => r.text()).then((t) => process.stdout.write(t))`;
    const text = await topo.exec(topo.server.ns, process.execPath, ['-e', scrape]);
    const snap = await queryStatusCli(control);
    const lines = text.split('\n');
    expect(lines).toContain('l2tpsec_ike_sas 1');
    expect(lines).toContain('l2tpsec_esp_sas 2');
    expect(lines).toContain('l2tpsec_ppp_sessions 1');
    expect(lines).toContain(`l2tpsec_sessions{client_family="${snap.sessions[0].clientFamily}"} 1`);
    expect(lines).toContain('l2tpsec_pool_addresses{state="leased"} 1');
    expect(lines).toContain(`l2tpsec_info{version="${snap.version}"} 1`);
    expect(text).not.toContain(user);
  });

  it('teardown from the client (SIGTERM) frees the lease and every SA', async () => {
    const c = client!;
    const tun = String(c.event('connected')?.tun);
    const exit = await c.terminate();
    expect(exit, c.transcript()).toEqual({ code: 0, signal: null });
    expect(c.event('disconnected')?.reason).toBe('local');
    expect(await links(topo, clientNs())).not.toContain(tun);
    // The server heard the goodbyes (LCP Terminate, StopCCN, IKE DELETE): everything is gone at once, not
    // after DPD. The L2TP tunnel record alone lingers 31 s to re-acknowledge StopCCN (RFC 2661 5.7).
    await expectServerHoldsNothing(control);
    expect(server.logged('IKE SA down').some((l) => l.json?.reason === 'peer-delete')).toBe(true);
  });

  it('teardown from the server (SIGTERM) ends the client and removes both TUNs', async () => {
    client = startClient(topo, 0, connectArgs, 'client0-again');
    const ev = (await client.waitForEvent('connected', 30_000)).json!;
    expect(POOL_RE.test(String(ev.address))).toBe(true);
    expect(await topo.ping(clientNs(), HOST_ADDRESS, 1)).toBe(true);
    const serverTuns = (await links(topo, topo.server.ns)).filter((n) => n.startsWith('l2tpsec'));
    expect(serverTuns).toHaveLength(1);

    const exit = await server.terminate();
    expect(exit, server.transcript()).toEqual({ code: 0, signal: null });
    expect(server.logged('shutting down')[0]?.json?.sessions).toBe(1);
    // The client hears LCP Terminate / StopCCN / DELETE and leaves on its own, cleanly.
    const clientExit = await Promise.race([
      client.exited,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(client!.transcript())), 15_000)),
    ]);
    expect(clientExit, client.transcript()).toEqual({ code: 0, signal: null });
    const reason = client.event('disconnected')?.reason;
    expect(reason).toBeDefined();
    expect(reason).not.toBe('local');
    expect(await links(topo, clientNs())).not.toContain(String(ev.tun));
    expect((await links(topo, topo.server.ns)).filter((n) => n.startsWith('l2tpsec'))).toEqual([]);
  });
});

/**
 * RADIUS through the whole product: `l2tpsec server` (with a `radius:` section) in the server namespace of
 * test/server/support/topology.ts, FreeRADIUS on that namespace's own loopback, and `l2tpsec connect` as a
 * user only FreeRADIUS knows. PPP's MS-CHAPv2 is verified by FreeRADIUS (the client checks the S= it
 * relays), Framed-IP-Address becomes the client's address, and the session's Accounting Start and Stop
 * (with the ping's packets in the counters), and the Interim-Updates between them, land in FreeRADIUS's
 * detail file.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CliProcess,
  cliUnavailable,
  eventually,
  startClient,
  startServer,
} from '../e2e/support/vpn-processes.js';
import { SERVER_PUBLIC, Topology } from '../server/support/topology.js';
import { netnsUnavailable } from '../support/netns.js';
import { FreeRadius, freeradiusUnavailable } from './support/freeradius.js';

const unavailable = netnsUnavailable() ?? cliUnavailable() ?? freeradiusUnavailable();
const skip = unavailable !== undefined && process.env.CI !== 'true';
if (skip) console.warn(`skipping the RADIUS end-to-end test: ${unavailable}`);

const RADIUS_USER = 'rita';
const RADIUS_ADDRESS = '192.168.42.201';
const TUNNEL_ADDRESS = '192.168.42.1';

describe.skipIf(skip)('l2tpsec server with RADIUS (FreeRADIUS) ⇄ l2tpsec connect', () => {
  const psk = randomBytes(12).toString('base64url');
  const password = randomBytes(9).toString('base64url');
  const dir = mkdtempSync(join(tmpdir(), 'l2s-radius-e2e-'));
  const control = join(dir, 'control.sock');
  let topo: Topology;
  let radius: FreeRadius;
  let server: CliProcess;

  beforeAll(async () => {
    if (unavailable !== undefined) throw new Error(`RADIUS end-to-end test cannot run: ${unavailable}`);
    topo = await Topology.create({ purpose: 'radius' });
    radius = await FreeRadius.start({
      users: `${RADIUS_USER} Cleartext-Password := "${password}"\n\tFramed-IP-Address = ${RADIUS_ADDRESS}\n`,
      netns: topo.server.ns,
    });
    const config = join(dir, 'server.yaml');
    writeFileSync(
      config,
      [
        'radius:',
        '  servers:',
        `    - { address: 127.0.0.1, secret: "${radius.secret}", port: ${radius.authPort}, acctPort: ${radius.acctPort} }`,
        '  timeout: 2',
        '  retries: 1',
        '  nasIdentifier: l2tpsec-e2e',
        '  interimInterval: 1',
        '',
      ].join('\n'),
    );
    // The environment's user is someone else: the RADIUS user can only be known through FreeRADIUS.
    server = await startServer(topo, { psk, users: [{ name: 'localonly', password: 'local-pw' }] }, control, [
      '--config',
      config,
    ]);
  });

  afterAll(async () => {
    await topo?.destroy();
    await radius?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('connects a RADIUS user with its Framed-IP-Address, and accounts Start and Stop', async () => {
    const client = startClient(
      topo,
      0,
      { server: SERVER_PUBLIC, psk, user: RADIUS_USER, password },
      'radius',
    );
    const ev = (await client.waitForEvent('connected', 30_000)).json!;
    expect(ev.user).toBe(RADIUS_USER);
    expect(ev.address).toBe(RADIUS_ADDRESS);
    expect(await topo.ping(topo.clients[0].ns, TUNNEL_ADDRESS, 3)).toBe(true);

    const start = await eventually(
      async () => radius.detailRecords(),
      (d) => /Acct-Status-Type = Start/.test(d),
      10_000,
    );
    expect(start).toMatch(new RegExp(`User-Name = "${RADIUS_USER}"`));
    expect(start).toMatch(new RegExp(`Framed-IP-Address = ${RADIUS_ADDRESS.replace(/\./g, '\\.')}`));
    expect(start).toMatch(
      new RegExp(`Calling-Station-Id = "${topo.clients[0].address.replace(/\./g, '\\.')}"`),
    );

    // Interim-Update (RFC 2866 section 5.1) every second while the session lives, with its counters so far.
    const interim = await eventually(
      async () => radius.detailRecords(),
      (d) => /Acct-Status-Type = Interim-Update[\s\S]*Acct-Input-Packets = [3-9]/.test(d),
      10_000,
    );
    const interimRecord =
      interim.split(/\n\n+/).find((r) => /Acct-Status-Type = Interim-Update/.test(r)) ?? '';
    expect(interimRecord).toMatch(new RegExp(`User-Name = "${RADIUS_USER}"`));

    const exit = await client.terminate();
    expect(exit, client.transcript()).toEqual({ code: 0, signal: null });
    const detail = await eventually(
      async () => radius.detailRecords(),
      (d) => /Acct-Status-Type = Stop/.test(d),
      15_000,
    );
    const stop = detail.split(/\n\n+/).find((r) => /Acct-Status-Type = Stop/.test(r)) ?? '';
    const sessionId = /Acct-Session-Id = "([0-9A-F]+)"/.exec(start)?.[1];
    expect(sessionId).toBeDefined();
    expect(stop).toContain(`Acct-Session-Id = "${sessionId}"`);
    expect(interimRecord).toContain(`Acct-Session-Id = "${sessionId}"`);
    // The three echo requests and replies crossed this session.
    expect(Number(/Acct-Input-Packets = (\d+)/.exec(stop)?.[1])).toBeGreaterThanOrEqual(3);
    expect(Number(/Acct-Output-Packets = (\d+)/.exec(stop)?.[1])).toBeGreaterThanOrEqual(3);
    expect(Number(/Acct-Input-Octets = (\d+)/.exec(stop)?.[1])).toBeGreaterThan(0);
    // The client's disconnect (LCP Terminate, then StopCCN) is the user's request (RFC 2866 section 5.10).
    expect(stop).toMatch(/Acct-Terminate-Cause = User-Request/);
    process.stdout.write(`RADIUS e2e Stop record:\n${stop}\n`);
    expect(server.lines.some((l) => l.json?.msg === 'RADIUS accounting request unanswered')).toBe(false);
  });
});

/**
 * Issue 7's proof, third part: the failures a user meets first. A wrong pre-shared key fails IKE Main Mode
 * (the server cannot decrypt MM5: RFC 2409 section 5.4), a wrong password or an unknown user fails PPP
 * authentication (RFC 2759 / RFC 1994). Each time `l2tpsec connect` exits non-zero naming the stage, the
 * server's log says why, and nothing is left: no lease, no IKE or ESP SA, no PPP session, no TUN.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVER_PUBLIC, Topology } from '../server/support/topology.js';
import { netnsUnavailable } from '../support/netns.js';
import {
  type CliProcess,
  cliUnavailable,
  expectServerHoldsNothing,
  links,
  startClient,
  startServer,
} from './support/vpn-processes.js';

const unavailable = netnsUnavailable() ?? cliUnavailable();

describe.skipIf(unavailable !== undefined)(`connection failures (${unavailable ?? 'root'})`, () => {
  const psk = randomBytes(12).toString('base64url');
  const user = 'carol';
  const password = randomBytes(9).toString('base64url');
  const control = join(tmpdir(), `l2s-e2efail-${process.pid}.sock`);
  let topo: Topology;
  let server: CliProcess;

  beforeAll(async () => {
    topo = await Topology.create({ purpose: 'e2fail' });
    server = await startServer(topo, { psk, users: [{ name: user, password }] }, control);
  });
  afterAll(async () => {
    await topo?.destroy();
    rmSync(control, { force: true });
  });

  /** Runs one failing connect; returns its `failed` event once it has exited. */
  async function failingConnect(args: { psk: string; user: string; password: string }, label: string) {
    const before = server.lines.length;
    const c = startClient(topo, 0, { server: SERVER_PUBLIC, ...args, timeoutSeconds: 15 }, label);
    const exit = await c.exited;
    expect(exit.code, c.transcript()).toBe(1);
    const failed = c.event('failed');
    expect(failed, c.transcript()).toBeDefined();
    expect(c.event('connected')).toBeUndefined();
    // Nothing of the attempt remains on the client: no TUN.
    expect((await links(topo, topo.clients[0].ns)).filter((n) => n.startsWith('l2tpsec'))).toEqual([]);
    return { failed: failed!, serverLines: () => server.lines.slice(before), client: c };
  }

  async function expectNothingLeft(): Promise<void> {
    await expectServerHoldsNothing(control);
  }

  it('wrong pre-shared key: fails in the IKE stage; the server logs the failed Main Mode', async () => {
    const r = await failingConnect({ psk: `${psk}x`, user, password }, 'wrong-psk');
    expect(r.failed.stage).toBe('ike');
    expect(String(r.failed.message)).toMatch(/pre-shared key/);
    process.stdout.write(`wrong PSK → client: ${r.failed.message}\n`);
    const why = r
      .serverLines()
      .filter((l) => /Main Mode failed|MM1 refused|dropped ISAKMP|pre-shared/i.test(String(l.json?.msg)));
    process.stdout.write(`wrong PSK → server: ${why.map((l) => l.text).join('\n')}\n`);
    expect(why.length, server.transcript()).toBeGreaterThan(0);
    await expectNothingLeft();
  });

  it('wrong password: fails in the PPP stage; the server logs the authentication failure', async () => {
    const r = await failingConnect({ psk, user, password: `${password}x` }, 'wrong-password');
    expect(r.failed.stage).toBe('ppp');
    expect(String(r.failed.message)).toMatch(/authentication failed/);
    process.stdout.write(`wrong password → client: ${r.failed.message}\n`);
    const why = r.serverLines().filter((l) => /auth/i.test(String(l.json?.msg)) && l.json?.user === user);
    process.stdout.write(`wrong password → server: ${why.map((l) => l.text).join('\n')}\n`);
    expect(why.length, server.transcript()).toBeGreaterThan(0);
    await expectNothingLeft();
  });

  it('unknown user: fails in the PPP stage; the server logs the unknown user', async () => {
    const r = await failingConnect({ psk, user: 'mallory', password }, 'unknown-user');
    expect(r.failed.stage).toBe('ppp');
    expect(String(r.failed.message)).toMatch(/authentication failed/);
    process.stdout.write(`unknown user → client: ${r.failed.message}\n`);
    const why = r
      .serverLines()
      .filter((l) => /auth/i.test(String(l.json?.msg)) && l.json?.user === 'mallory');
    process.stdout.write(`unknown user → server: ${why.map((l) => l.text).join('\n')}\n`);
    expect(why.length, server.transcript()).toBeGreaterThan(0);
    await expectNothingLeft();
  });

  it('after three failures a correct login still works (nothing stale blocks it)', async () => {
    const c = startClient(topo, 0, { server: SERVER_PUBLIC, psk, user, password }, 'good');
    const ev = (await c.waitForEvent('connected', 30_000)).json!;
    expect(ev.user).toBe(user);
    const exit = await c.terminate();
    expect(exit, c.transcript()).toEqual({ code: 0, signal: null });
    await expectNothingLeft();
  });
});

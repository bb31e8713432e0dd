/**
 * X.509 certificates through the whole product (RFC 2409 section 5.1): `l2tpsec server` configured with a
 * certificate, its key and a CA, accepting RSA signatures only, and `l2tpsec connect --cert --key --ca` in
 * its own namespace. The client connects and carries traffic; a client whose certificate comes from a CA
 * the server does not trust is refused in Main Mode, and the server keeps nothing of it.
 */
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVER_PUBLIC, Topology } from '../server/support/topology.js';
import { type Issued, opensslUnavailable, TestPki } from '../support/certs.js';
import { netnsUnavailable } from '../support/netns.js';
import {
  type CliProcess,
  cliUnavailable,
  expectServerHoldsNothing,
  queryStatusCli,
  startClient,
  startServer,
} from './support/vpn-processes.js';

const unavailable = netnsUnavailable() ?? cliUnavailable() ?? opensslUnavailable();
const TUNNEL_ADDRESS = '192.168.42.1';

describe.skipIf(unavailable !== undefined)(
  `certificate authentication end to end (${unavailable ?? 'root'})`,
  () => {
    // The PSK is never used: the server accepts RSA signatures only.
    const psk = randomBytes(12).toString('base64url');
    const user = 'carol';
    const password = randomBytes(9).toString('base64url');
    const control = join(tmpdir(), `l2s-e2ecert-${process.pid}.sock`);
    const pki = new TestPki();
    let ca: Issued;
    let client: Issued;
    let rogue: Issued;
    let topo: Topology;

    beforeAll(async () => {
      ca = pki.root('ca', '/C=XX/O=l2tpsec test/CN=Test Root CA');
      const other = pki.root('other', '/C=XX/O=elsewhere/CN=Other Root CA');
      const server = pki.issue('server', ca, {
        subject: '/C=XX/O=l2tpsec test/CN=vpn.test',
        san: `IP:${SERVER_PUBLIC}`,
      });
      client = pki.issue('client', ca, { subject: '/C=XX/O=l2tpsec test/CN=laptop' });
      rogue = pki.issue('rogue', other, { subject: '/C=XX/O=l2tpsec test/CN=laptop' });
      const config = join(pki.dir, 'server.yaml');
      writeFileSync(
        config,
        [
          'ike:',
          `  certificate: ${server.certPath}`,
          `  privateKey: ${server.keyPath}`,
          `  caCertificates: [${ca.certPath}]`,
          '  authMethods: [rsa-sig]',
          '',
        ].join('\n'),
      );
      topo = await Topology.create({ purpose: 'e2cert' });
      await startServer(topo, { psk, users: [{ name: user, password }] }, control, ['--config', config]);
    }, 60_000);
    afterAll(async () => {
      await topo?.destroy();
      pki.dispose();
      rmSync(control, { force: true });
    });

    const connect = (id: Issued): CliProcess =>
      startClient(topo, 0, {
        server: SERVER_PUBLIC,
        psk: 'not-the-servers-psk',
        user,
        password,
        extraArgs: ['--cert', id.certPath, '--key', id.keyPath, '--ca', ca.certPath],
      });

    it('a client with a certificate from the trusted CA connects and reaches the server', async () => {
      const c = connect(client);
      const ev = (await c.waitForEvent('connected', 30_000)).json!;
      expect(ev.user).toBe(user);
      expect(await topo.ping(topo.clients[0].ns, TUNNEL_ADDRESS, 2)).toBe(true);
      const snap = await queryStatusCli(control);
      expect(snap.sessions.map((s) => s.user)).toEqual([user]);
      expect(snap.counters.ike['ike-sa-established']).toBe(1);
      expect((await c.terminate()).code, c.transcript()).toBe(0);
      await expectServerHoldsNothing(control);
    });

    it('a client certificate from another CA is refused in Main Mode (INVALID-CERTIFICATE)', async () => {
      const c = connect(rogue);
      const failed = (await c.waitForEvent('failed', 30_000)).json!;
      expect(failed.stage, c.transcript()).toBe('ike');
      const snap = await queryStatusCli(control);
      expect(snap.counters.ike['invalid-certificate']).toBe(1);
      expect(snap.sessions).toHaveLength(0);
      await c.exited;
      await expectServerHoldsNothing(control);
    });
  },
);

/**
 * l2tpsec's IKEv1 initiator with X.509 RSA signatures (RFC 2409 section 5.1; its own process,
 * l2tpsec-initiator.mjs) against strongSwan charon as responder with `auth = pubkey` (fake kernel):
 * with a shared CA, Main Mode and Quick Mode complete and both sides hold the same CHILD_SA; when l2tpsec
 * does not trust charon's CA it refuses charon's MM6 with INVALID-CERTIFICATE and nothing is installed.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Issued, opensslUnavailable, TestPki } from '../../support/certs.js';
import { Charon, charonUnavailable } from '../../support/charon.js';
import { type Netns, NetnsLab, netnsUnavailable } from '../../support/netns.js';
import { type CertConnection, installCertFiles, swanctlCertConf } from '../../support/swanctl-cert.js';
import { runInitiator } from './l2tpsec-initiator.js';
import { ensureDevResponderBuilt } from './l2tpsec-responder.js';

const why = netnsUnavailable() ?? charonUnavailable() ?? opensslUnavailable();
const SERVER = '198.18.11.1';
const CLIENT = '198.18.11.2';

describe.skipIf(why !== undefined)(
  `l2tpsec initiator with certificates against strongSwan (auth = pubkey)${why ? ` (skipped: ${why})` : ''}`,
  () => {
    const lab = new NetnsLab();
    const pki = new TestPki();
    let ca: Issued;
    let otherCa: Issued;
    let client: Issued;
    let server: Charon;
    let clientNs: Netns;
    let conn: CertConnection;

    beforeAll(async () => {
      ensureDevResponderBuilt();
      ca = pki.root('ca', '/C=XX/O=l2tpsec test/CN=Test Root CA');
      otherCa = pki.root('other', '/C=XX/O=elsewhere/CN=Other Root CA');
      const serverCert = pki.issue('server', ca, {
        subject: '/C=XX/O=l2tpsec test/CN=vpn.test',
        san: `IP:${SERVER}`,
      });
      client = pki.issue('client', ca, { subject: '/C=XX/O=l2tpsec test/CN=client' });
      conn = {
        name: 'srv',
        localAddr: SERVER,
        remoteAddr: '%any',
        ike: 'aes128-sha1-ecp256,aes256-sha256-modp2048',
        esp: 'aes128-sha1,aes256-sha256',
        identity: serverCert,
      };
      const sns = await lab.addNetns('l2xisrv');
      clientNs = await lab.addNetns('l2xicli');
      await lab.addVeth(
        { ns: sns, ifname: 'srv0', cidr: `${SERVER}/24` },
        { ns: clientNs, ifname: 'cli0', cidr: `${CLIENT}/24` },
      );
      server = await Charon.start(sns, { label: 'l2xisrv' });
      installCertFiles(server, [ca], [conn]);
      writeFileSync(join(server.dir, 'swanctl/swanctl.conf'), swanctlCertConf([conn]));
      const r = await server.swanctl(['--load-all', '--clear', '--noprompt']);
      if (r.code !== 0) throw new Error(`swanctl --load-all failed:\n${r.stdout}${r.stderr}`);
    }, 90_000);

    afterAll(async () => {
      await server?.dispose();
      await lab.cleanup();
      pki.dispose();
    });

    const run = (trusted: Issued, timeoutS: number) =>
      runInitiator(
        clientNs,
        { address: CLIENT, peer: SERVER, charon: server },
        ['--cert', client.certPath, '--key', client.keyPath, '--ca', trusted.certPath],
        timeoutS,
        80,
      );

    it('with a shared CA: Main Mode and Quick Mode complete, the same CHILD_SA on both sides', async () => {
      const { code, events, context } = await run(ca, 30);
      expect(code, context).toBe(0);
      expect(events.find((e) => e.event === 'ike-sa-up')?.peerIdentity, context).toBe(
        'C=XX, O=l2tpsec test, CN=vpn.test',
      );
      const child = events.find((e) => e.event === 'child-sa');
      const peer = await server.waitForChild((c) => c.spiIn === child?.spiOut);
      expect(peer, context).toBeDefined();
      expect(peer?.spiOut).toBe(child?.spiIn);
      expect(server.log()).toMatch(
        /authentication of 'C=XX, O=l2tpsec test, CN=client' with RSA.*successful/,
      );
      await server.swanctl(['--terminate', '--ike', conn.name, '--force', '--timeout', '5']);
    }, 60_000);

    it("l2tpsec refuses charon's certificate when it does not trust its CA: INVALID-CERTIFICATE, nothing installed", async () => {
      const before = (await server.listSas()).flatMap((s) => s.children).length;
      const { code, events, context } = await run(otherCa, 20);
      expect(code, context).toBe(1);
      expect(
        events.filter((e) => e.event === 'ike-sa-up'),
        context,
      ).toEqual([]);
      expect(
        events.find((e) => e.event === 'ike-sa-down'),
        context,
      ).toMatchObject({ reason: 'failed', notify: 20 });
      expect(events.some((e) => e.event === 'child-sa')).toBe(false);
      expect((await server.listSas()).flatMap((s) => s.children).length).toBe(before);
    }, 60_000);
  },
);

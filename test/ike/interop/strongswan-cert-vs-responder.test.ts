/**
 * strongSwan charon (IKEv1 initiator, `auth = pubkey`, fake kernel) against l2tpsec's responder with X.509
 * RSA signature authentication (RFC 2409 section 5.1): certificates from a CA both trust give a CHILD_SA on
 * both sides; a client certificate from a CA l2tpsec does not trust fails cleanly on both sides.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Issued, opensslUnavailable, TestPki } from '../../support/certs.js';
import { Charon, charonUnavailable, type Ikev1Connection } from '../../support/charon.js';
import { NetnsLab, netnsUnavailable } from '../../support/netns.js';
import {
  type CertConnection,
  certChildName,
  installCertFiles,
  swanctlCertConf,
} from '../../support/swanctl-cert.js';
import { L2tpsecResponder } from './l2tpsec-responder.js';

const why = netnsUnavailable() ?? charonUnavailable() ?? opensslUnavailable();
const SERVER = '198.18.9.1';
const CLIENT = '198.18.9.2';

describe.skipIf(why !== undefined)(
  `strongSwan (auth = pubkey) against the l2tpsec responder with certificates${why ? ` (skipped: ${why})` : ''}`,
  () => {
    const lab = new NetnsLab();
    const pki = new TestPki();
    let ca: Issued;
    let rogueCa: Issued;
    let client: Charon;
    let responder: L2tpsecResponder;
    let good: CertConnection;
    let untrusted: CertConnection;

    const context = () =>
      `--- charon (client)\n${client.logTail(80)}\n--- l2tpsec responder\n${responder.outputTail()}`;

    /** swanctl's --initiate by name (the harness's connection type only lends the name). */
    const asConn = (c: CertConnection) => ({ name: c.name }) as Ikev1Connection;

    beforeAll(async () => {
      ca = pki.root('ca', '/C=XX/O=l2tpsec test/CN=Test Root CA');
      rogueCa = pki.root('rogue-ca', '/C=XX/O=elsewhere/CN=Rogue Root CA');
      const server = pki.issue('server', ca, {
        subject: '/C=XX/O=l2tpsec test/CN=vpn.test',
        san: `IP:${SERVER}`,
      });
      const clientCert = pki.issue('client', ca, { subject: '/C=XX/O=l2tpsec test/CN=client' });
      const rogue = pki.issue('rogue', rogueCa, { subject: '/C=XX/O=l2tpsec test/CN=mallory' });
      const base = {
        localAddr: CLIENT,
        remoteAddr: SERVER,
        ike: 'aes128-sha256-modp2048',
        esp: 'aes128-sha1',
      };
      good = { ...base, name: 'certok', identity: clientCert, remoteId: 'C=XX, O=l2tpsec test, CN=vpn.test' };
      untrusted = { ...base, name: 'rogue', identity: rogue };

      const sns = await lab.addNetns('l2xsrv');
      const cns = await lab.addNetns('l2xcli');
      await lab.addVeth(
        { ns: sns, ifname: 'srv0', cidr: `${SERVER}/24` },
        { ns: cns, ifname: 'cli0', cidr: `${CLIENT}/24` },
      );
      [responder, client] = await Promise.all([
        L2tpsecResponder.start(sns, SERVER, 'unused-psk-for-cert-tests', [
          '--cert',
          server.certPath,
          '--key',
          server.keyPath,
          '--ca',
          ca.certPath,
        ]),
        Charon.start(cns, { label: 'l2xcli' }),
      ]);
      // charon trusts both CAs, so only l2tpsec's judgement decides the rogue case.
      installCertFiles(client, [ca, rogueCa], [good, untrusted]);
      writeFileSync(join(client.dir, 'swanctl/swanctl.conf'), swanctlCertConf([good, untrusted]));
      const r = await client.swanctl(['--load-all', '--clear', '--noprompt']);
      if (r.code !== 0) throw new Error(`swanctl --load-all failed:\n${r.stdout}${r.stderr}`);
    }, 90_000);

    afterAll(async () => {
      await client?.dispose();
      await responder?.stop();
      await lab.cleanup();
      pki.dispose();
    });

    it('certificates from a shared CA: IKE SA and CHILD_SA established on both sides', async () => {
      const r = await client.initiate(asConn(good));
      expect(r.established, `${r.swanctl.stdout}\n${context()}`).toBe(true);
      const ike = r.sas.find((s) => s.name === good.name);
      expect(ike?.version).toBe('1');
      const child = ike?.children.find((c) => c.name === certChildName(good));
      expect(child?.state).toBe('INSTALLED');
      // charon authenticated l2tpsec by its certificate's DN, with an RSA signature.
      expect(client.log()).toMatch(
        /authentication of 'C=XX, O=l2tpsec test, CN=vpn\.test' with RSA.*successful/,
      );
      expect(await responder.waitFor('child-sa', 1), context()).toBe(true);
      const ev = responder.eventsOf('child-sa').find((e) => e.spiIn === child?.spiOut);
      expect(ev, context()).toBeDefined();
      expect(ev?.spiOut).toBe(child?.spiIn);
      const up = responder.eventsOf('ike-sa');
      expect(up.map((e) => e.peerIdentity)).toEqual(['C=XX, O=l2tpsec test, CN=client']);
      await client.terminate(asConn(good));
    }, 60_000);

    it('a client certificate from a CA l2tpsec does not trust fails cleanly on both sides', async () => {
      const ikeBefore = responder.eventsOf('ike-sa').length;
      const childBefore = responder.eventsOf('child-sa').length;
      const r = await client.initiate(asConn(untrusted), 10);
      expect(r.established).toBe(false);
      expect(r.sas.flatMap((s) => s.children)).toEqual([]);
      await client.terminate(asConn(untrusted));
      // l2tpsec: no IKE SA, no CHILD_SA, and it is still running.
      expect(responder.eventsOf('ike-sa').length).toBe(ikeBefore);
      expect(responder.eventsOf('child-sa').length).toBe(childBefore);
      // The half-open SA went with INVALID-CERTIFICATE (20), the reason logged.
      expect(responder.outputTail(10_000), context()).toMatch(
        /"notify":20,"reason":"no path to a trusted CA[^\n]*Main Mode failed/,
      );
      expect(responder.alive).toBe(true);
      // charon received the notify (and, as for a wrong PSK, ignores it because it is unprotected).
      expect(client.log(), context()).toMatch(/parsed INFORMATIONAL_V1 request 0 \[ N\(INVAL_CERT\) \]/);
      // And the trusted client still gets in afterwards.
      const again = await client.initiate(asConn(good));
      expect(again.established, context()).toBe(true);
      await client.terminate(asConn(good));
    }, 90_000);
  },
);

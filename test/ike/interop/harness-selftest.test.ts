/**
 * The harness's own proof, with no l2tpsec code involved: strongSwan charon as IKEv1 initiator (client
 * namespace) against a second charon as responder (server namespace), both on the load-tester fake kernel,
 * over a veth pair; and ike-scan (third namespace) probing that responder. Every issue-4 suite must come up
 * here exactly as the l2tpsec tests expect it to, so a failure there is l2tpsec's, not the harness's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Charon, charonUnavailable, childName, type Ikev1Connection } from '../../support/charon.js';
import { ikeScan } from '../../support/ikescan.js';
import { type Netns, NetnsLab, netnsUnavailable } from '../../support/netns.js';
import { CLIENT_PROBES, SUITES, suiteMismatches, WEAK_PROBE } from './cases.js';

const why = netnsUnavailable() ?? charonUnavailable();
const SERVER = '198.18.4.1';
const CLIENT = '198.18.4.2';
const SERVER_SCAN_SIDE = '198.18.6.1';
const SCANNER = '198.18.6.2';
const PSK = 'harness-selftest-psk';

/** The responder accepts every suite of the matrix (and what the ike-scan probes offer). */
const RESPONDER: Ikev1Connection = {
  name: 'srv',
  localAddr: '%any',
  remoteAddr: '%any',
  psk: PSK,
  secretIds: [SERVER, CLIENT, SERVER_SCAN_SIDE, SCANNER],
  ike: [
    ...new Set([
      ...SUITES.map((s) => s.ike),
      'aes256-sha1-ecp384',
      'aes256-sha1-modp2048',
      'aes256-sha256-modp2048',
      'aes256-sha1-modp1024',
      'aes128-sha1-modp1024',
    ]),
  ].join(','),
  esp: [...new Set(SUITES.map((s) => s.esp))].join(','),
  encap: false,
};

const clientConn = (name: string, ike: string, esp: string, encap: boolean, psk = PSK): Ikev1Connection => ({
  name,
  localAddr: CLIENT,
  remoteAddr: SERVER,
  psk,
  ike,
  esp,
  encap,
});

describe.skipIf(why !== undefined)(
  `IKEv1 harness self-test: charon ↔ charon, ike-scan → charon${why ? ` (skipped: ${why})` : ''}`,
  () => {
    const lab = new NetnsLab();
    let server: Charon;
    let client: Charon;
    let scanner: Netns;

    beforeAll(async () => {
      const sns = await lab.addNetns('ikesrv');
      const cns = await lab.addNetns('ikecli');
      scanner = await lab.addNetns('ikescan');
      await lab.addVeth(
        { ns: sns, ifname: 'srv0', cidr: `${SERVER}/24` },
        { ns: cns, ifname: 'cli0', cidr: `${CLIENT}/24` },
      );
      await lab.addVeth(
        { ns: sns, ifname: 'srv1', cidr: `${SERVER_SCAN_SIDE}/24` },
        { ns: scanner, ifname: 'scan0', cidr: `${SCANNER}/24` },
      );
      server = await Charon.start(sns, { label: 'srv', loadTesterPsk: PSK });
      client = await Charon.start(cns, { label: 'cli' });
      await server.load([RESPONDER]);
    });

    afterAll(async () => {
      await client?.dispose();
      await server?.dispose();
      await lab.cleanup();
    });

    for (const suite of SUITES) {
      for (const encap of [false, true]) {
        it(`${suite.label}, encap ${encap ? 'yes' : 'no'}: CHILD_SA installed on both sides`, async () => {
          const conn = clientConn(
            `c${SUITES.indexOf(suite)}${encap ? 'e' : 'n'}`,
            suite.ike,
            suite.esp,
            encap,
          );
          await client.load([conn]);
          const r = await client.initiate(conn);
          const context = `${r.swanctl.stdout}\n--- client\n${client.logTail()}\n--- server\n${server.logTail()}`;
          expect(r.established, context).toBe(true);
          const ike = r.sas.find((s) => s.name === conn.name);
          const child = ike?.children.find((c) => c.name === childName(conn));
          expect(ike?.version).toBe('1');
          expect(child && suiteMismatches(child, suite), context).toEqual([]);
          // encap = yes fakes a NAT (RFC 3947 NAT-D): IKE floats to 4500 and ESP is UDP-encapsulated.
          expect(child?.encap).toBe(encap);
          expect(ike?.localPort).toBe(encap ? '4500' : '500');
          // The responder holds the mirror image: its inbound SPI is the client's outbound one.
          const peer = await server.waitForChild((c) => c.spiIn === child?.spiOut);
          expect(peer?.spiOut, context).toBe(child?.spiIn);
          expect(peer?.state).toBe('INSTALLED');
          await client.terminate(conn);
        });
      }
    }

    it('a wrong PSK fails on both sides, and the responder still serves the right one afterwards', async () => {
      const wrong = clientConn('wrongpsk', 'aes128-sha1-modp2048', 'aes128-sha1', false, 'not-the-psk');
      await client.load([wrong]);
      const r = await client.initiate(wrong, 30);
      expect(r.established).toBe(false);
      expect(r.sas.flatMap((s) => s.children)).toEqual([]);
      // Main Mode never completes on the responder: no IKE SA of that peer reaches ESTABLISHED.
      expect((await server.listSas()).filter((s) => s.state === 'ESTABLISHED')).toEqual([]);
      await client.terminate(wrong);
      const right = clientConn('rightpsk', 'aes128-sha1-modp2048', 'aes128-sha1', false);
      await client.load([right]);
      expect((await client.initiate(right)).established, server.logTail()).toBe(true);
      await client.terminate(right);
    }, 60_000);

    for (const probe of CLIENT_PROBES) {
      it(`ike-scan with ${probe.client}'s transforms gets a Main Mode handshake`, async () => {
        const r = await ikeScan(scanner, SERVER_SCAN_SIDE, { trans: probe.trans });
        expect(r.handshakes, r.output).toBe(1);
        expect(r.mode).toBe('Main');
        expect(r.sa).toMatch(/Auth=PSK/);
      });
    }

    it('ike-scan --trans=1,1,1,1 (DES/MD5/MODP768) gets NO-PROPOSAL-CHOSEN', async () => {
      const r = await ikeScan(scanner, SERVER_SCAN_SIDE, { trans: WEAK_PROBE });
      expect(r.handshakes, r.output).toBe(0);
      expect(r.notifies).toBe(1);
      expect(r.notifyType).toBe(14);
      expect(r.notifyName).toBe('NO-PROPOSAL-CHOSEN');
    });

    it('ike-scan --nat-t (non-ESP marker, port 4500) gets a handshake', async () => {
      const r = await ikeScan(scanner, SERVER_SCAN_SIDE, { trans: ['7/128,2,1,19'], natT: true });
      expect(r.handshakes, r.output).toBe(1);
    });

    it('ike-scan Aggressive Mode with PSK is refused (charon refuses it unless told otherwise)', async () => {
      const r = await ikeScan(scanner, SERVER_SCAN_SIDE, {
        trans: ['7/128,2,1,14'],
        aggressive: true,
        dhGroup: 14,
      });
      expect(r.handshakes, r.output).toBe(0);
    });
  },
);

/**
 * Issue 4: "Several clients behind one NAT: key every IKE SA by its cookies and (address, port), never by
 * address alone." Two strongSwan clients in their own namespaces sit behind one router namespace that
 * masquerades them (nftables) to a single address; both connect to l2tpsec's dev responder. Both must get
 * their CHILD_SA, and the second one's INITIAL-CONTACT must not tear down the first one's SAs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Charon,
  type ChildSaInfo,
  charonUnavailable,
  childName,
  type Ikev1Connection,
} from '../../support/charon.js';
import { NetnsLab, netnsUnavailable } from '../../support/netns.js';
import { devResponderSourceExists, L2tpsecResponder } from './l2tpsec-responder.js';

const why =
  netnsUnavailable() ??
  charonUnavailable() ??
  (devResponderSourceExists() ? undefined : 'src/ike/dev-responder.ts does not exist yet');
const SERVER = '198.18.20.1';
const NAT_PUBLIC = '198.18.20.254';
const LAN = [
  { router: '198.19.1.1', client: '198.19.1.2' },
  { router: '198.19.2.1', client: '198.19.2.2' },
];
const PSK = 'l2tpsec-nat-psk';

describe.skipIf(why !== undefined)(
  `two strongSwan clients behind one NAT${why ? ` (skipped: ${why})` : ''}`,
  () => {
    const lab = new NetnsLab();
    let responder: L2tpsecResponder;
    const clients: Charon[] = [];
    const conns: Ikev1Connection[] = LAN.map((l, i) => ({
      name: `nat${i}`,
      localAddr: l.client,
      remoteAddr: SERVER,
      psk: PSK,
      ike: 'aes256-sha1-modp2048',
      esp: 'aes128-sha1',
      encap: false,
    }));

    beforeAll(async () => {
      const sns = await lab.addNetns('natsrv');
      const router = await lab.addNetns('natrtr');
      await lab.addVeth(
        { ns: sns, ifname: 'srv0', cidr: `${SERVER}/24` },
        { ns: router, ifname: 'wan0', cidr: `${NAT_PUBLIC}/24` },
      );
      for (const [i, l] of LAN.entries()) {
        const cns = await lab.addNetns(`natcli${i}`);
        await lab.addVeth(
          { ns: router, ifname: `lan${i}`, cidr: `${l.router}/24` },
          { ns: cns, ifname: 'eth0', cidr: `${l.client}/24` },
        );
        await cns.exec(['ip', 'route', 'add', 'default', 'via', l.router]);
        clients.push(await Charon.start(cns, { label: `natcli${i}` }));
      }
      // The router: forwards, and masquerades everything leaving towards the server (source ports too, so
      // both clients' port 500 and 4500 map to distinct ports of one address).
      const fw = await router.exec(['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
      if (fw.code !== 0) throw new Error(`ip_forward: ${fw.stderr}`);
      const nft = await router.exec([
        'nft',
        'add table ip nat; add chain ip nat post { type nat hook postrouting priority srcnat; }; ' +
          'add rule ip nat post oifname "wan0" masquerade',
      ]);
      if (nft.code !== 0) throw new Error(`nft: ${nft.stderr}`);
      responder = await L2tpsecResponder.start(sns, SERVER, PSK);
    });

    afterAll(async () => {
      for (const c of clients) await c.dispose();
      await responder?.stop();
      await lab.cleanup();
    });

    it('both clients get a CHILD_SA, on distinct NAT ports, and the first survives the second', async () => {
      const context = () =>
        `${clients.map((c, i) => `--- charon ${i}\n${c.logTail(30)}`).join('\n')}\n--- l2tpsec\n${responder.outputTail()}`;
      const results: Array<ChildSaInfo | undefined> = [];
      for (const [i, c] of clients.entries()) {
        await c.load([conns[i]]);
        const r = await c.initiate(conns[i]);
        expect(r.established, `client ${i}\n${r.swanctl.stdout}\n${context()}`).toBe(true);
        const ike = r.sas.find((s) => s.name === conns[i].name);
        // A real NAT this time: charon detects it and encapsulates on its own.
        expect(ike?.raw['nat-local'], context()).toBe('yes');
        results.push(ike?.children.find((c2) => c2.name === childName(conns[i])));
      }
      const ikeSas = responder.eventsOf('ike-sa');
      expect(ikeSas).toHaveLength(2);
      const peers = ikeSas.map((e) => String(e.peer));
      expect(
        peers.every((p) => p.startsWith(`${NAT_PUBLIC}:`)),
        peers.join(' '),
      ).toBe(true);
      expect(new Set(peers).size, peers.join(' ')).toBe(2);
      // Both CHILD_SAs alive on both sides: the second client's INITIAL-CONTACT (same public address) must not
      // have removed the first one's SAs.
      await new Promise((res) => setTimeout(res, 500));
      expect(responder.eventsOf('child-sa-deleted'), context()).toEqual([]);
      for (const [i, c] of clients.entries()) {
        const child = (await c.listSas())
          .flatMap((s) => s.children)
          .find((x) => x.spiIn === results[i]?.spiIn);
        expect(child?.state, `client ${i}\n${context()}`).toBe('INSTALLED');
        expect(responder.eventsOf('child-sa').some((e) => e.spiIn === child?.spiOut)).toBe(true);
      }
    });
  },
);

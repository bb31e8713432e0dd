/**
 * Issue 4, the reverse direction: l2tpsec's IKEv1 engine as initiator (client namespace, its own process:
 * l2tpsec-initiator.mjs) against strongSwan charon as responder (server namespace, fake kernel). Main Mode
 * and Quick Mode must complete with a transport-mode CHILD_SA whose SPIs both sides agree on.
 *
 * Then phase-1 rekey against the same real responder: with an IKE SA lifetime of 20 s the engine starts a
 * fresh Main Mode at ~18 s without INITIAL-CONTACT (RFC 2407 section 4.6.3.3), moves its ESP SA to the new
 * IKE SA and deletes the old ISAKMP SA alone; charon must end with one IKE SA and the very same CHILD_SA.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Charon, charonUnavailable, type Ikev1Connection } from '../../support/charon.js';
import { type Netns, NetnsLab, netnsUnavailable } from '../../support/netns.js';
import { runInitiator } from './l2tpsec-initiator.js';
import { devResponderSourceExists, ensureDevResponderBuilt } from './l2tpsec-responder.js';

const why =
  netnsUnavailable() ??
  charonUnavailable() ??
  (devResponderSourceExists() ? undefined : 'src/ike (dev-responder.ts) does not exist yet');
const SERVER = '198.18.10.1';
const CLIENT = '198.18.10.2';
const PSK = 'l2tpsec-initiator-psk';
const REKEY_LIFETIME_S = 20;

/** Accepts what the engine proposes by default (config.ts: aes128-sha1-ecp256, aes256-sha256-modp2048). */
const RESPONDER = (encap: boolean): Ikev1Connection => ({
  name: encap ? 'srv-encap' : 'srv',
  localAddr: SERVER,
  remoteAddr: '%any',
  psk: PSK,
  ike: 'aes128-sha1-ecp256,aes256-sha256-modp2048',
  esp: 'aes128-sha1,aes256-sha256',
  encap,
});

const REKEYING = (encap: boolean): Ikev1Connection => ({
  ...RESPONDER(encap),
  name: encap ? 'srv-rekey-encap' : 'srv-rekey',
});

describe.skipIf(why !== undefined)(
  `l2tpsec initiator against strongSwan as responder${why ? ` (skipped: ${why})` : ''}`,
  () => {
    const lab = new NetnsLab();
    let server: Charon;
    let clientNs: Netns;

    beforeAll(async () => {
      ensureDevResponderBuilt();
      const sns = await lab.addNetns('l2sisrv');
      clientNs = await lab.addNetns('l2sicli');
      await lab.addVeth(
        { ns: sns, ifname: 'srv0', cidr: `${SERVER}/24` },
        { ns: clientNs, ifname: 'cli0', cidr: `${CLIENT}/24` },
      );
      server = await Charon.start(sns, { label: 'l2sisrv', loadTesterPsk: PSK });
    });

    const run = (args: readonly string[], timeoutS: number, logLines?: number) =>
      runInitiator(
        clientNs,
        { address: CLIENT, peer: SERVER, charon: server },
        ['--psk', PSK, ...args],
        timeoutS,
        logLines,
      );

    afterAll(async () => {
      await server?.dispose();
      await lab.cleanup();
    });

    for (const encap of [false, true]) {
      it(`Main Mode + Quick Mode complete, CHILD_SA installed on both sides (charon encap ${encap ? 'yes' : 'no'})`, async () => {
        await server.load([RESPONDER(encap)]);
        const { code, events, context } = await run([], 30);
        expect(code, context).toBe(0);
        const child = events.find((e) => e.event === 'child-sa');
        expect(child?.mode, context).toBe('transport');
        // charon holds the mirror image: its inbound SPI is the initiator's outbound one.
        const peer = await server.waitForChild((c) => c.spiIn === child?.spiOut);
        expect(peer, `${context}\n${server.logTail()}`).toBeDefined();
        expect(peer?.spiOut).toBe(child?.spiIn);
        expect(peer?.state).toBe('INSTALLED');
        expect(peer?.mode).toBe('TRANSPORT');
        expect(peer?.encap).toBe(child?.encap);
        if (encap) expect(peer?.encap).toBe(true);
        await server.swanctl(['--terminate', '--ike', RESPONDER(encap).name, '--force', '--timeout', '5']);
      });
    }

    for (const encap of [false, true]) {
      it(`a ${REKEY_LIFETIME_S} s IKE SA is re-keyed at ~90% (charon encap ${encap ? 'yes' : 'no'}): one IKE SA at charon, the same CHILD_SA`, async () => {
        await server.load([REKEYING(encap)]);
        const lifetime = ['--lifetime', String(REKEY_LIFETIME_S)];
        const { code, events, context } = await run(lifetime, REKEY_LIFETIME_S + 15, 120);
        expect(code, context).toBe(0);
        const ups = events.filter((e) => e.event === 'ike-sa-up');
        expect(ups, context).toHaveLength(2);
        expect(ups[1].rekeyOf, context).toBe(ups[0].id);
        const children = events.filter((e) => e.event === 'child-sa');
        expect(children, context).toHaveLength(1);
        expect(
          events.filter((e) => e.event === 'delete-sa'),
          context,
        ).toHaveLength(0);
        expect(
          events.find((e) => e.event === 'children-adopted'),
          context,
        ).toMatchObject({ from: ups[0].id, to: ups[1].id });
        // charon: the old IKE SA is gone, the new one holds the same CHILD_SA (SPIs mirrored).
        const deadline = Date.now() + 5000;
        let sas = await server.listSas();
        while (sas.length !== 1 && Date.now() < deadline) {
          await new Promise((res) => setTimeout(res, 200));
          sas = await server.listSas();
        }
        const ctx2 = `${context}\n--- list-sas\n${JSON.stringify(sas, (k, v) => (k === 'raw' ? undefined : v))}`;
        expect(sas, ctx2).toHaveLength(1);
        expect(sas[0].state, ctx2).toBe('ESTABLISHED');
        const child = children[0];
        const installed = sas[0].children.filter((c) => c.state === 'INSTALLED');
        expect(installed, ctx2).toHaveLength(1);
        expect(installed[0].spiIn, ctx2).toBe(child.spiOut);
        expect(installed[0].spiOut, ctx2).toBe(child.spiIn);
        expect(installed[0].encap, ctx2).toBe(encap);
        await server.swanctl(['--terminate', '--ike', REKEYING(encap).name, '--force', '--timeout', '5']);
      }, 90_000);
    }
  },
);

/**
 * Issue 4, the reverse direction: l2tpsec's IKEv1 engine as initiator (client namespace, its own process:
 * l2tpsec-initiator.mjs) against strongSwan charon as responder (server namespace, fake kernel). Main Mode
 * and Quick Mode must complete with a transport-mode CHILD_SA whose SPIs both sides agree on.
 */

import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Charon, charonUnavailable, type Ikev1Connection } from '../../support/charon.js';
import { type Netns, NetnsLab, netnsUnavailable } from '../../support/netns.js';
import { devResponderSourceExists, ensureDevResponderBuilt } from './l2tpsec-responder.js';

const why =
  netnsUnavailable() ??
  charonUnavailable() ??
  (devResponderSourceExists() ? undefined : 'src/ike (dev-responder.ts) does not exist yet');
const INITIATOR = join(dirname(fileURLToPath(import.meta.url)), 'l2tpsec-initiator.mjs');
const SERVER = '198.18.10.1';
const CLIENT = '198.18.10.2';
const PSK = 'l2tpsec-initiator-psk';

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

interface Event {
  readonly event: string;
  readonly [k: string]: unknown;
}

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

    afterAll(async () => {
      await server?.dispose();
      await lab.cleanup();
    });

    for (const encap of [false, true]) {
      it(`Main Mode + Quick Mode complete, CHILD_SA installed on both sides (charon encap ${encap ? 'yes' : 'no'})`, async () => {
        await server.load([RESPONDER(encap)]);
        const r = await clientNs.exec(
          [
            process.execPath,
            INITIATOR,
            '--address',
            CLIENT,
            '--peer',
            SERVER,
            '--psk',
            PSK,
            '--timeout',
            '30',
          ],
          { timeoutMs: 40_000 },
        );
        const events: Event[] = r.stdout
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as Event);
        const context = `${r.stdout}${r.stderr}\n--- charon (responder)\n${server.logTail()}`;
        expect(r.code, context).toBe(0);
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
  },
);

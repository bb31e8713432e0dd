/**
 * Shared steps of the endpoint pair tests: bring a pair up, carry a packet across and compare it, and the
 * empty state every teardown must reach. `pairLifecycle()` closes each test's pairs after it, even on failure.
 */
import { afterEach, expect } from 'vitest';
import type { EndpointEvent } from '../../../src/endpoint/vpn-endpoint.js';
import { ipv4ToInt } from '../../../src/net/ipv4-address.js';
import { icmpEcho, udpPacket } from './ipv4.js';
import { Pair, type PairOptions, POOL_RANGE, SERVER_TUNNEL_ADDRESS, type Side, waitFor } from './pair.js';

export type SessionUp = Extract<EndpointEvent, { type: 'session-up' }>;

/** What an endpoint holds once everything is torn down (see `Pair.serverHoldings`). */
export const NOTHING = {
  sessions: 0,
  l2tpTunnels: 0,
  l2tpSessions: 0,
  espSas: 0,
  ikeSas: 0,
  peers: 0,
  leases: 0,
};

export interface PairLifecycle {
  /** A pair, closed after the test. */
  make(opts?: PairOptions): Pair;
  /** A pair whose clients have all dialled and reached PPP up on both ends. */
  up(opts?: PairOptions, timeoutMs?: number): Promise<Pair>;
}

export function pairLifecycle(): PairLifecycle {
  let open: Pair[] = [];
  afterEach(async () => {
    const closing = open;
    open = [];
    for (const p of closing) await p.close();
  });
  const make = (opts: PairOptions = {}) => {
    const p = new Pair(opts);
    open.push(p);
    return p;
  };
  return {
    make,
    async up(opts = {}, timeoutMs = 10_000) {
      const p = make(opts);
      for (const c of p.clients) p.dial(c);
      await waitFor(
        'session-up on the server and every client',
        () =>
          p.server.of('session-up').length === p.clients.length &&
          p.clients.every((c) => c.of('session-up').length === 1),
        timeoutMs,
      );
      return p;
    },
  };
}

export function inPool(address: string): boolean {
  const [first, last] = POOL_RANGE.split('-').map(ipv4ToInt);
  const a = ipv4ToInt(address);
  return a >= first && a <= last;
}

export function clientUp(c: Side): SessionUp {
  return c.of('session-up')[0];
}

/** Sends `packet` into `from`'s TUN side and waits for it on `to`'s device; returns what arrived. */
export async function carry(from: Side, to: Side, packet: Buffer): Promise<Buffer> {
  const before = to.device.packets.length;
  from.endpoint.outbound.packet(packet, 0, packet.length);
  await waitFor('the packet on the far device', () => to.device.packets.length > before, 3000);
  return to.device.packets[before];
}

/** Client → server ICMP echo and server → client UDP, each compared byte for byte. */
export async function roundTrip(p: Pair, c: Side, tag: string): Promise<void> {
  const address = clientUp(c).localAddress;
  const echo = icmpEcho(address, SERVER_TUNNEL_ADDRESS, 7, Buffer.from(`ping ${tag}`));
  expect(await carry(c, p.server, echo)).toEqual(echo);
  const reply = udpPacket(SERVER_TUNNEL_ADDRESS, address, 53, 40000, Buffer.from(`answer ${tag}`));
  expect(await carry(p.server, c, reply)).toEqual(reply);
}

/** A datapath counter of `side`'s endpoint (0 when never counted). */
export function datapathCount(side: Side, counter: string): number {
  return side.endpoint.counterSnapshot().datapath[counter] ?? 0;
}

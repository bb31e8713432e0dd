/**
 * One VPN session: a PPP link (RFC 1661) carried by an L2TP session (RFC 2661) inside the IPsec SAs of one
 * peer (RFC 3193). The data path reads its fields on every packet, so they are plain and mutable.
 */
import type { PppSession } from '../ppp/session.js';
import type { Millis } from '../util/clock.js';

export class VpnSession {
  /** Assigned inner address (host-order integer; 0 until IPCP is up). */
  innerAddress = 0;
  innerAddressText = '';
  /** The far end's tunnel address (the server's, on a client). */
  peerInnerAddressText = '';
  ipUp = false;
  user = '';
  dns: readonly string[] = [];
  /** Largest frame the peer accepts (its MRU). */
  peerMtu = 1400;
  /** Next Ns for data messages when the peer asked for sequencing (RFC 2661 section 5.4). */
  dataNs = 0;
  upAt: Millis = 0;
  upAtWall = 0;
  bytesIn = 0;
  bytesOut = 0;
  packetsIn = 0;
  packetsOut = 0;

  constructor(
    /** Our L2TP Tunnel and Session IDs: what the peer puts in data messages to us. */
    readonly tunnelId: number,
    readonly sessionId: number,
    /** The peer's IDs: what we put in data messages to it. */
    readonly peerTunnelId: number,
    readonly peerSessionId: number,
    readonly sequencing: boolean,
    /** The outer peer the session lives behind (key of the endpoint's peer table). */
    readonly peerKey: string,
    readonly ppp: PppSession,
  ) {}
}

/** The session table's key for (Tunnel ID, Session ID), both 16-bit. */
export function l2tpKey(tunnelId: number, sessionId: number): number {
  return tunnelId * 0x10000 + sessionId;
}

/**
 * What the two directions of the data path (receive.ts, send.ts) share with the control plane that owns
 * them: the lookups, the edges, the counters, and the hooks by which a packet leaves the fast path.
 */
import type { EspSa } from '../esp/sa.js';
import type { SaDatabase } from '../esp/sa-database.js';
import type { Counters } from '../util/counters.js';
import type { InnerDevice, OuterAddress, OuterTransport } from './links.js';
import type { PeerLink } from './peer-link.js';
import type { VpnSession } from './session.js';
import type { SessionTable } from './session-table.js';

export type DataPathCounter =
  | 'natt-keepalive'
  | 'esp-drop'
  | 'esp-not-udp'
  | 'esp-not-l2tp'
  | 'esp-unknown-peer'
  | 'plain-l2tp-refused'
  | 'l2tp-malformed'
  | 'l2tp-unknown-session'
  | 'l2tp-wrong-peer'
  | 'ppp-malformed'
  | 'ip-not-up'
  | 'ip-spoofed-source'
  | 'ip-malformed'
  | 'tun-write-failed'
  | 'no-device'
  | 'no-route'
  | 'no-outbound-sa'
  | 'seal-failed'
  | 'mss-clamped';

export interface DataPathContext {
  readonly role: 'server' | 'client';
  readonly sad: SaDatabase;
  readonly sessions: SessionTable;
  readonly peers: Map<string, PeerLink>;
  readonly transport: OuterTransport;
  device: InnerDevice | undefined;
  readonly counters: Counters<DataPathCounter>;
  /** TCP MSS ceiling for SYNs crossing the tunnel; 0 disables clamping. */
  readonly mssClamp: number;
  /** TEST ONLY (RFC 3193 forbids it): L2TP on plain UDP 1701. */
  readonly allowPlainL2tp: boolean;
  readonly ikePort: number;
  readonly nattPort: number;
  /** The client's single session (client role only). */
  clientSession: VpnSession | undefined;

  /** An ISAKMP message (non-ESP marker already removed). */
  onIke(message: Buffer, remote: OuterAddress, local: OuterAddress): void;
  /** An L2TP control message from `peer` (a copy the control plane may keep). */
  onL2tpControl(peer: PeerLink, message: Buffer): void;
  /** A PPP frame that is not IPv4 data for an up session: LCP, authentication, NCPs, … (a copy). */
  onPppControl(session: VpnSession, frame: Buffer): void;
  /** ESP arrived on `sa` (liveness for DPD; the control plane rate-limits). */
  onInboundEsp(sa: EspSa, peer: PeerLink): void;
  /** A plain-UDP L2TP datagram's peer (test-only switch): created on first sight. */
  plainPeer(remote: OuterAddress, local: OuterAddress): PeerLink;
}

/** L2TP endpoint settings, with the defaults RFC 2661 suggests where it suggests any. */
import type { Millis } from '../util/clock.js';
import { DEFAULT_RETRANSMIT, type RetransmitConfig } from './reliable.js';

export interface L2tpConfig {
  /** Host Name AVP we send (section 4.4.3). */
  readonly hostName: string;
  readonly vendorName: string;
  /** Tunnel secret: enables Challenge/Challenge Response (section 5.1.1) and hidden AVPs (section 4.3). */
  readonly secret?: Buffer;
  /** Hide the sensitive AVPs we send (needs `secret`). */
  readonly hideAvps: boolean;
  /** Accept incoming SCCRQ (the LNS role). */
  readonly acceptTunnels: boolean;
  /** Our Receive Window Size (section 5.8). */
  readonly receiveWindow: number;
  readonly retransmit: RetransmitConfig;
  /** Send HELLO after this long without hearing from the peer (section 6.5). */
  readonly helloInterval: Millis;
  /** How long a tunnel or session may stay half-open before it is cleared. */
  readonly halfOpenTimeout: Millis;
  /** How long a closed tunnel keeps its state to re-acknowledge a retransmitted StopCCN (section 5.7: 31 s). */
  readonly closeHold: Millis;
  readonly maxTunnels: number;
  readonly maxTunnelsPerPeer: number;
  readonly maxSessionsPerTunnel: number;
  /** Ask the peer to sequence data messages (Sequencing Required in ICCN, LAC role, section 4.4.6). */
  readonly requireDataSequencing: boolean;
}

export const DEFAULT_L2TP_CONFIG: L2tpConfig = {
  hostName: 'l2tpsec',
  vendorName: 'l2tpsec',
  hideAvps: false,
  acceptTunnels: true,
  receiveWindow: 8,
  retransmit: DEFAULT_RETRANSMIT,
  helloInterval: 60_000,
  halfOpenTimeout: 30_000,
  closeHold: 31_000,
  maxTunnels: 1024,
  maxTunnelsPerPeer: 4,
  maxSessionsPerTunnel: 16,
  requireDataSequencing: false,
};

export function l2tpConfig(partial: Partial<L2tpConfig> = {}): L2tpConfig {
  return { ...DEFAULT_L2TP_CONFIG, ...partial };
}

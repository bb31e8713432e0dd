/**
 * What the L2TP machines ask of their owner (docs/architecture.md: state machines return action arrays).
 * `peer` is the owner's opaque name for the transport address the datagram came from / goes to.
 */
import type { ResultCodeValue } from './avp-values.js';

export type L2tpAction =
  | { readonly type: 'send'; readonly peer: string; readonly data: Buffer }
  | {
      readonly type: 'tunnel-up';
      readonly peer: string;
      readonly tunnelId: number;
      readonly peerTunnelId: number;
      readonly peerHostName: string;
    }
  | {
      readonly type: 'tunnel-down';
      readonly peer: string;
      readonly tunnelId: number;
      readonly reason: TeardownReason;
      readonly result?: ResultCodeValue;
    }
  | {
      readonly type: 'session-up';
      readonly peer: string;
      readonly tunnelId: number;
      readonly sessionId: number;
      readonly peerTunnelId: number;
      readonly peerSessionId: number;
      /** Data messages to the peer carry Ns (the peer asked for sequencing, section 5.4). */
      readonly sequencing: boolean;
    }
  | {
      readonly type: 'session-down';
      readonly peer: string;
      readonly tunnelId: number;
      readonly sessionId: number;
      readonly reason: TeardownReason;
      readonly result?: ResultCodeValue;
    }
  | {
      readonly type: 'ppp';
      readonly peer: string;
      readonly tunnelId: number;
      readonly sessionId: number;
      /** A view into the received datagram: copy it if it must outlive the call. */
      readonly frame: Buffer;
    };

/**
 * Why a tunnel or session ended: `local` (our owner asked), `peer` (StopCCN/CDN received), `error` (a
 * protocol error we answered with StopCCN/CDN), `timeout` (half-open expiry), `dead-peer` (retransmissions
 * exhausted), `tunnel` (the session's tunnel went away).
 */
export type TeardownReason = 'local' | 'peer' | 'error' | 'timeout' | 'dead-peer' | 'tunnel';

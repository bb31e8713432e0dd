/**
 * A session (RFC 2661 section 7.4, incoming calls): its IDs, its state, and the per-packet sequencing state
 * of its data channel (section 5.4). The data path reads this object directly.
 */
import type { Millis } from '../util/clock.js';
import { seqBefore } from './reliable.js';

export type SessionState = 'wait-reply' | 'wait-connect' | 'established' | 'closed';

export class L2tpSession {
  /** The peer's Session ID: the header Session ID of everything we send it. 0 until ICRP (LAC) arrives. */
  peerSessionId = 0;
  state: SessionState;
  /** Data messages we send carry Ns: the peer sent Sequencing Required, or sequenced its own data. */
  sendSequenced = false;
  private dataNs = 0;
  private expectedDataNs = -1;

  constructor(
    readonly tunnelId: number,
    readonly sessionId: number,
    readonly role: 'lns' | 'lac',
    readonly createdAt: Millis,
  ) {
    this.state = role === 'lac' ? 'wait-reply' : 'wait-connect';
  }

  get established(): boolean {
    return this.state === 'established';
  }

  /** The Ns for the next data message, or -1 when this session's data is not sequenced. */
  nextDataNs(): number {
    if (!this.sendSequenced) return -1;
    const ns = this.dataNs;
    this.dataNs = (ns + 1) & 0xffff;
    return ns;
  }

  /**
   * Honours sequence numbers on received data (section 5.4): a message older than one already accepted is
   * dropped; gaps are accepted (lost packets are PPP's concern). A peer that sequences gets sequenced data.
   */
  acceptDataNs(ns: number): boolean {
    if (ns < 0) return true;
    this.sendSequenced = true;
    if (this.expectedDataNs >= 0 && seqBefore(ns, this.expectedDataNs)) return false;
    this.expectedDataNs = (ns + 1) & 0xffff;
    return true;
  }
}

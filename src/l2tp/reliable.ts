/**
 * Reliable delivery of control messages (RFC 2661 section 5.8): 16-bit Ns/Nr, the peer's Receive Window
 * Size bounding what we keep in flight, our own window bounding what we queue out of order, retransmission
 * with exponential backoff up to a cap, ZLB acknowledgements, duplicates acknowledged and dropped.
 * It owns no timer: the tunnel asks `deadline()` and calls `tick(now)`.
 */
import type { Millis } from '../util/clock.js';
import { DEFAULT_RECEIVE_WINDOW } from './constants.js';
import { type DecodedControl, encodeControl, patchNr } from './header.js';

export interface RetransmitConfig {
  /** First retransmission timeout (section 5.8 suggests 1 s). */
  readonly initialTimeout: Millis;
  /** Backoff cap (section 5.8: at least 8 s). */
  readonly maxTimeout: Millis;
  /** Retransmissions before the peer is declared unreachable (section 5.8 suggests 5). */
  readonly maxRetries: number;
}

export const DEFAULT_RETRANSMIT: RetransmitConfig = { initialTimeout: 1000, maxTimeout: 8000, maxRetries: 5 };

/** `a` precedes `b` in 16-bit sequence space (section 5.8: comparisons are modulo 2^16). */
export function seqBefore(a: number, b: number): boolean {
  const d = (b - a) & 0xffff;
  return d !== 0 && d < 0x8000;
}

interface InFlight {
  readonly ns: number;
  readonly msg: Buffer;
  retries: number;
  timeout: Millis;
  due: Millis;
}

interface Queued {
  readonly sessionId: number;
  readonly body: Buffer;
}

export interface ChannelReceive<T> {
  /** Messages now deliverable in order (the one received, then any queued ones it unblocked). */
  readonly deliver: readonly T[];
  /** The message was a duplicate (already delivered): it has been acknowledged and must be dropped. */
  readonly duplicate: boolean;
  /** The message was beyond our receive window and dropped unacknowledged. */
  readonly outOfWindow: boolean;
}

export class ReliableChannel<T> {
  private ns = 0;
  private nr = 0;
  private ackOwed = false;
  private readonly inFlight: InFlight[] = [];
  private readonly waiting: Queued[] = [];
  private readonly reorder = new Map<number, T>();
  /** Peer's Receive Window Size (section 5.8: 4 when it sent none). */
  private peerWindow = DEFAULT_RECEIVE_WINDOW;
  /** Set when a message has exhausted its retransmissions. */
  failed = false;
  /** The peer's Tunnel ID: the header Tunnel ID of everything we send (0 until known, section 3.1). */
  peerTunnelId = 0;

  constructor(
    /** Our Receive Window Size: how many messages past a gap we hold. */
    private readonly receiveWindow: number,
    private readonly cfg: RetransmitConfig,
  ) {}

  setPeerWindow(n: number, now: Millis): Buffer[] {
    this.peerWindow = Math.max(1, n);
    return this.pump(now);
  }

  /** Queues a control message body; returns the datagrams the window lets out now. */
  send(sessionId: number, body: Buffer, now: Millis): Buffer[] {
    this.waiting.push({ sessionId, body });
    return this.pump(now);
  }

  private pump(now: Millis): Buffer[] {
    const out: Buffer[] = [];
    while (this.waiting.length > 0 && this.inFlight.length < this.peerWindow) {
      const q = this.waiting.shift()!;
      const msg = encodeControl(
        { tunnelId: this.peerTunnelId, sessionId: q.sessionId, ns: this.ns, nr: this.nr },
        q.body,
      );
      this.inFlight.push({
        ns: this.ns,
        msg,
        retries: 0,
        timeout: this.cfg.initialTimeout,
        due: now + this.cfg.initialTimeout,
      });
      this.ns = (this.ns + 1) & 0xffff;
      this.ackOwed = false;
      out.push(msg);
    }
    return out;
  }

  /**
   * Processes the header of a received message (`item` undefined for a ZLB). Acknowledged messages leave
   * the flight; the next in order is delivered with anything queued behind it.
   */
  receive(h: DecodedControl, item: T | undefined, now: Millis): ChannelReceive<T> & { send: Buffer[] } {
    // Nr acknowledges everything before it, but never more than we have sent.
    if (!seqBefore(this.ns, h.nr)) {
      while (this.inFlight.length > 0 && seqBefore(this.inFlight[0].ns, h.nr)) this.inFlight.shift();
    }
    const send = this.pump(now);
    if (item === undefined) return { deliver: [], duplicate: false, outOfWindow: false, send };
    if (h.ns === this.nr) {
      const deliver: T[] = [item];
      this.nr = (this.nr + 1) & 0xffff;
      for (let next = this.reorder.get(this.nr); next !== undefined; next = this.reorder.get(this.nr)) {
        this.reorder.delete(this.nr);
        deliver.push(next);
        this.nr = (this.nr + 1) & 0xffff;
      }
      this.ackOwed = true;
      return { deliver, duplicate: false, outOfWindow: false, send };
    }
    if (seqBefore(h.ns, this.nr)) {
      // Section 5.8: a duplicate must still be acknowledged, since our earlier ack may have been lost.
      this.ackOwed = true;
      return { deliver: [], duplicate: true, outOfWindow: false, send };
    }
    if (((h.ns - this.nr) & 0xffff) < this.receiveWindow) {
      if (!this.reorder.has(h.ns)) this.reorder.set(h.ns, item);
      return { deliver: [], duplicate: false, outOfWindow: false, send };
    }
    return { deliver: [], duplicate: false, outOfWindow: true, send };
  }

  /** A ZLB when something received is not yet acknowledged by a message we sent (section 5.8). */
  flushAck(): Buffer | undefined {
    if (!this.ackOwed) return undefined;
    this.ackOwed = false;
    return encodeControl(
      { tunnelId: this.peerTunnelId, sessionId: 0, ns: this.ns, nr: this.nr },
      Buffer.alloc(0),
    );
  }

  /** Everything sent has been acknowledged and nothing waits for the window. */
  idle(): boolean {
    return this.inFlight.length === 0 && this.waiting.length === 0;
  }

  deadline(): Millis | undefined {
    let d: Millis | undefined;
    for (const f of this.inFlight) if (d === undefined || f.due < d) d = f.due;
    return d;
  }

  /** Retransmits what is due, each with the current Nr; sets `failed` once a message runs out of retries. */
  tick(now: Millis): Buffer[] {
    const out: Buffer[] = [];
    for (const f of this.inFlight) {
      if (f.due > now) continue;
      if (f.retries >= this.cfg.maxRetries) {
        this.failed = true;
        return out;
      }
      f.retries++;
      f.timeout = Math.min(f.timeout * 2, this.cfg.maxTimeout);
      f.due = now + f.timeout;
      // A fresh copy: the transport may still hold the earlier one.
      const msg = Buffer.from(f.msg);
      patchNr(msg, this.nr);
      this.ackOwed = false;
      out.push(msg);
    }
    return out;
  }

  get nextNs(): number {
    return this.ns;
  }

  get expectedNs(): number {
    return this.nr;
  }

  get inFlightCount(): number {
    return this.inFlight.length;
  }

  get queuedOutOfOrder(): number {
    return this.reorder.size;
  }
}

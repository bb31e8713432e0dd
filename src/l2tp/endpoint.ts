/**
 * The L2TP endpoint: every tunnel this process holds, in either role, behind one `receive`/`tick` pair.
 * It demultiplexes datagrams by Tunnel ID (a new SCCRQ by the peer's Assigned Tunnel ID, so a retransmitted
 * SCCRQ reaches the tunnel it created), enforces the tunnel and session limits, and carries data messages.
 * Transport-agnostic: the owner passes datagrams in with an opaque peer name and sends what comes back.
 */

import type { Millis, Rng } from '../util/clock.js';
import { Counters } from '../util/counters.js';
import { type Logger, silentLogger } from '../util/log.js';
import type { L2tpAction } from './actions.js';
import type { ResultCodeValue } from './avp-values.js';
import { type L2tpConfig, l2tpConfig } from './config.js';
import { ErrorCode, MessageType, StopCcnResult } from './constants.js';
import type { L2tpCounter } from './counters.js';
import { L2tpDecodeError } from './errors.js';
import {
  DATA_HEADER_MAX,
  type DecodedControl,
  decodeControl,
  encodeControl,
  FLAG_T,
  newParsedData,
  parseDataMessage,
  writeDataHeader,
} from './header.js';
import { type DecodedMessage, decodeMessage, encodeMessage } from './message.js';
import type { L2tpSession } from './session.js';
import { L2tpTunnel } from './tunnel.js';

const DROP_LOGS_PER_SECOND = 10;

export interface L2tpEndpointOptions {
  readonly config?: Partial<L2tpConfig>;
  readonly rng: Rng;
  readonly log?: Logger;
}

export class L2tpEndpoint {
  readonly cfg: L2tpConfig;
  readonly counters = new Counters<L2tpCounter>();
  private readonly tunnels = new Map<number, L2tpTunnel>();
  private readonly byPeer = new Map<string, Set<L2tpTunnel>>();
  private readonly rng: Rng;
  private readonly log: Logger;
  private readonly parsed = newParsedData();
  /** Latest time seen (receive or tick), for the drop-log rate limit. */
  private lastNow: Millis = 0;
  private logWindow: Millis = Number.NEGATIVE_INFINITY;
  private logsInWindow = 0;

  constructor(opts: L2tpEndpointOptions) {
    this.cfg = l2tpConfig(opts.config);
    this.rng = opts.rng;
    this.log = opts.log ?? silentLogger;
  }

  get tunnelCount(): number {
    return this.tunnels.size;
  }

  get sessionCount(): number {
    let n = 0;
    for (const t of this.tunnels.values()) n += t.sessions.size;
    return n;
  }

  tunnel(tunnelId: number): L2tpTunnel | undefined {
    return this.tunnels.get(tunnelId);
  }

  /** Our Tunnel IDs of every tunnel with `peer` (to clear them when its IPsec SAs are gone). */
  tunnelIdsOf(peer: string): number[] {
    const set = this.byPeer.get(peer);
    return set === undefined ? [] : [...set].map((t) => t.tunnelId);
  }

  /** The data path's lookup: an established session addressed by our Tunnel and Session IDs. */
  session(tunnelId: number, sessionId: number): L2tpSession | undefined {
    return this.tunnels.get(tunnelId)?.sessions.get(sessionId);
  }

  /** Counts a drop; logs it at debug, at most `DROP_LOGS_PER_SECOND` a second so a flood costs little. */
  private drop(reason: L2tpCounter, peer: string, detail?: string): L2tpAction[] {
    this.counters.count(reason);
    if (this.lastNow - this.logWindow >= 1000) {
      this.logWindow = this.lastNow;
      this.logsInWindow = 0;
    }
    if (this.logsInWindow++ < DROP_LOGS_PER_SECOND) this.log.debug({ peer, reason, detail }, 'l2tp drop');
    return [];
  }

  /** Any datagram from `peer`, control or data. Never throws on bad input. */
  receive(peer: string, datagram: Buffer, now: Millis): L2tpAction[] {
    this.lastNow = now;
    if (datagram.length < 2) return this.drop('short', peer);
    if ((datagram.readUInt16BE(0) & FLAG_T) === 0) return this.receiveData(peer, datagram);
    let h: DecodedControl;
    let decoded: DecodedMessage | undefined;
    try {
      h = decodeControl(datagram);
      decoded = h.body.length > 0 ? decodeMessage(h.body, this.cfg.secret) : undefined;
    } catch (err) {
      if (err instanceof L2tpDecodeError) return this.drop(err.reason, peer, err.message);
      throw err;
    }
    this.counters.count(decoded ? 'rx-control' : 'rx-zlb');
    if (h.tunnelId === 0) return this.receiveNewTunnel(peer, h, decoded, now);
    const t = this.tunnels.get(h.tunnelId);
    if (!t) return this.drop('unknown-tunnel', peer, `tunnel ${h.tunnelId}`);
    if (t.peer !== peer) return this.drop('wrong-peer', peer, `tunnel ${h.tunnelId} belongs to ${t.peer}`);
    return this.reap(t, t.receive(h, decoded, now));
  }

  private receiveData(peer: string, datagram: Buffer): L2tpAction[] {
    const p = this.parsed;
    const r = parseDataMessage(datagram, 0, datagram.length, p);
    if (r !== 'data') return this.drop(r === 'control' ? 'bad-flags' : r, peer);
    const t = this.tunnels.get(p.tunnelId);
    if (!t) return this.drop('unknown-tunnel', peer, `data for tunnel ${p.tunnelId}`);
    if (t.peer !== peer) return this.drop('wrong-peer', peer);
    const s = t.sessions.get(p.sessionId);
    if (!s) return this.drop('unknown-session', peer, `data for session ${p.sessionId}`);
    if (!s.established) return this.drop('data-before-up', peer);
    if (!s.acceptDataNs(p.ns)) return this.drop('data-out-of-order', peer);
    this.counters.count('rx-data');
    const frame = datagram.subarray(p.payloadOffset, p.payloadOffset + p.payloadLength);
    return [{ type: 'ppp', peer, tunnelId: t.tunnelId, sessionId: s.sessionId, frame }];
  }

  /**
   * Header Tunnel ID 0 (section 3.1): an SCCRQ, its retransmission, or a message from a peer that never
   * learnt our Tunnel ID, such as the StopCCN xl2tpd sends when it cannot read our SCCRP. Those reach the
   * tunnel whose peer assigned the Tunnel ID they carry.
   */
  private receiveNewTunnel(
    peer: string,
    h: DecodedControl,
    decoded: DecodedMessage | undefined,
    now: Millis,
  ): L2tpAction[] {
    if (!decoded) return this.drop('unknown-tunnel', peer, 'ZLB for tunnel 0');
    const peerTid = decoded.message.assignedTunnelId;
    const peerTunnels = this.byPeer.get(peer);
    if (peerTid !== undefined) {
      for (const t of peerTunnels ?? []) {
        if (t.peerTunnelId === peerTid) return this.reap(t, t.receive(h, decoded, now));
      }
    }
    if (decoded.message.type !== MessageType.SCCRQ) return this.drop('unknown-tunnel', peer, 'tunnel 0');
    if (!this.cfg.acceptTunnels) return this.drop('unexpected-message', peer, 'SCCRQ but not an LNS');
    if (this.tunnels.size >= this.cfg.maxTunnels) return this.refuse(peer, h, peerTid, 'tunnel-limit');
    if ((peerTunnels?.size ?? 0) >= this.cfg.maxTunnelsPerPeer)
      return this.refuse(peer, h, peerTid, 'peer-tunnel-limit');
    const t = this.addTunnel(peer, 'lns', now);
    return this.reap(t, t.receive(h, decoded, now));
  }

  /**
   * Over a limit: one StopCCN "insufficient resources" (section 4.4.2), keeping no state, so a flood of
   * SCCRQs costs nothing. The peer's retransmission gets the same answer.
   */
  private refuse(
    peer: string,
    h: DecodedControl,
    peerTid: number | undefined,
    reason: L2tpCounter,
  ): L2tpAction[] {
    this.drop(reason, peer);
    if (peerTid === undefined) return [];
    const body = encodeMessage({
      type: MessageType.StopCCN,
      assignedTunnelId: 0,
      resultCode: { result: StopCcnResult.GeneralError, error: ErrorCode.InsufficientResources },
    });
    const data = encodeControl({ tunnelId: peerTid, sessionId: 0, ns: 0, nr: (h.ns + 1) & 0xffff }, body);
    return [{ type: 'send', peer, data }];
  }

  private addTunnel(peer: string, role: 'lns' | 'lac', now: Millis): L2tpTunnel {
    let id: number;
    do {
      id = this.rng(2).readUInt16BE(0);
    } while (id === 0 || this.tunnels.has(id));
    const t = new L2tpTunnel(
      { cfg: this.cfg, rng: this.rng, counters: this.counters, log: this.log },
      id,
      peer,
      role,
      now,
    );
    this.tunnels.set(id, t);
    let set = this.byPeer.get(peer);
    if (!set) {
      set = new Set();
      this.byPeer.set(peer, set);
    }
    set.add(t);
    return t;
  }

  /** Forgets a tunnel once it has closed. */
  private reap(t: L2tpTunnel, actions: L2tpAction[]): L2tpAction[] {
    if (t.state === 'closed') {
      this.tunnels.delete(t.tunnelId);
      const set = this.byPeer.get(t.peer);
      set?.delete(t);
      if (set?.size === 0) this.byPeer.delete(t.peer);
    }
    return actions;
  }

  /** LAC: opens a tunnel to `peer` (SCCRQ). */
  openTunnel(peer: string, now: Millis): { tunnelId: number; actions: L2tpAction[] } {
    const t = this.addTunnel(peer, 'lac', now);
    return { tunnelId: t.tunnelId, actions: t.start(now) };
  }

  /** LAC: opens a session on a tunnel (ICRQ, sent as soon as the tunnel is up). */
  openSession(tunnelId: number, now: Millis): { sessionId: number; actions: L2tpAction[] } | undefined {
    const t = this.tunnels.get(tunnelId);
    if (!t || t.state === 'closing' || t.state === 'closed') return undefined;
    return t.openSession(now);
  }

  closeSession(tunnelId: number, sessionId: number, now: Millis, result?: ResultCodeValue): L2tpAction[] {
    const t = this.tunnels.get(tunnelId);
    return t ? this.reap(t, t.closeSession(sessionId, now, result)) : [];
  }

  closeTunnel(tunnelId: number, now: Millis, result?: ResultCodeValue): L2tpAction[] {
    const t = this.tunnels.get(tunnelId);
    return t ? this.reap(t, t.close(now, result)) : [];
  }

  /**
   * Sends one PPP frame on a session (control-plane convenience; it allocates). The frame goes as given:
   * the PPP layer owns its framing (address/control FF 03 or not). The data path instead
   * calls `writeDataHeader` into its own buffer with the session's peer IDs and `nextDataNs()`.
   */
  sendPpp(tunnelId: number, sessionId: number, frame: Uint8Array): L2tpAction[] {
    const t = this.tunnels.get(tunnelId);
    const s = t?.sessions.get(sessionId);
    if (!t || !s?.established) return [];
    const buf = Buffer.allocUnsafe(DATA_HEADER_MAX + frame.length);
    buf.set(frame, DATA_HEADER_MAX);
    const ns = s.nextDataNs();
    const start = writeDataHeader(buf, DATA_HEADER_MAX, frame.length, t.peerTunnelId, s.peerSessionId, ns);
    return [{ type: 'send', peer: t.peer, data: buf.subarray(start) }];
  }

  deadline(): Millis | undefined {
    let d: Millis | undefined;
    for (const t of this.tunnels.values()) {
      const td = t.deadline();
      if (td !== undefined && (d === undefined || td < d)) d = td;
    }
    return d;
  }

  tick(now: Millis): L2tpAction[] {
    this.lastNow = now;
    const out: L2tpAction[] = [];
    for (const t of [...this.tunnels.values()]) {
      const d = t.deadline();
      if (d === undefined || d > now) continue;
      out.push(...this.reap(t, t.tick(now)));
    }
    return out;
  }
}

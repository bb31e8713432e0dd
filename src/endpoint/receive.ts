/**
 * The receive direction of the data path, top to bottom (DESIGN.md):
 *
 *   UDP 4500 datagram ─ demux (RFC 3948 section 2: NAT keep-alive, non-ESP marker → IKE) ─ ESP open (SA by
 *   SPI, replay, ICV) ─ inner UDP to port 1701 (RFC 3193) ─ L2TP data (tunnel id, session id) ─ PPP frame ─
 *   IPv4 (source must be the session's address) ─ TUN write
 *
 * Synchronous and allocation-free for IPv4 data; anything else (IKE, L2TP control, LCP/auth/NCPs) leaves
 * the fast path through the context's hooks. Every refusal is counted; nothing throws.
 */
import type { EspSa } from '../esp/sa.js';
import { type DataParseResult, newParsedData, parseDataMessage } from '../l2tp/header.js';
import { PppFrameView, parsePppFrame } from '../ppp/frame.js';
import type { DataPathContext } from './datapath-context.js';
import type { OuterAddress } from './links.js';
import { clampTcpMss } from './mss-clamp.js';
import { L2TP_PORT, type PeerLink, peerLinkKey } from './peer-link.js';
import type { VpnSession } from './session.js';

const NEXT_HEADER_UDP = 17;
const UDP_HEADER = 8;
const PPP_IPV4 = 0x0021;
const NAT_KEEPALIVE = 0xff;

export class InboundPath {
  private readonly parsed = newParsedData();
  private readonly frame = new PppFrameView();
  private readonly peerOfSa = new WeakMap<EspSa, PeerLink>();

  constructor(private readonly ctx: DataPathContext) {}

  /** Every datagram that arrives on one of our UDP sockets (500, 4500, or 1701 when plain L2TP is on). */
  datagram(buf: Buffer, offset: number, length: number, remote: OuterAddress, local: OuterAddress): void {
    const ctx = this.ctx;
    if (local.port === ctx.nattPort) {
      // RFC 3948 section 2.3: a single 0xFF octet keeps the NAT mapping alive and is discarded.
      if (length === 1 && buf[offset] === NAT_KEEPALIVE) {
        ctx.counters.count('natt-keepalive');
        return;
      }
      // RFC 3948 section 2.2: four zero octets (where an SPI can never be 0) mark IKE.
      if (length >= 4 && buf.readUInt32BE(offset) === 0) {
        ctx.onIke(Buffer.from(buf.subarray(offset + 4, offset + length)), remote, local);
        return;
      }
      this.esp(buf, offset, length);
      return;
    }
    if (local.port === ctx.ikePort) {
      ctx.onIke(Buffer.from(buf.subarray(offset, offset + length)), remote, local);
      return;
    }
    if (local.port === L2TP_PORT) {
      if (!ctx.allowPlainL2tp) {
        // RFC 3193 section 2: L2TP is only accepted inside IPsec.
        ctx.counters.count('plain-l2tp-refused');
        return;
      }
      this.l2tp(ctx.plainPeer(remote, local), buf, offset, length);
    }
  }

  /** Raw ESP (IP protocol 50): `buf[offset..]` starts at the SPI. */
  esp(buf: Buffer, offset: number, length: number): void {
    const ctx = this.ctx;
    const r = ctx.sad.open(buf, offset, length);
    if (r.status !== 'ok' || r.sa === undefined) {
      ctx.counters.count('esp-drop');
      return;
    }
    const sa = r.sa;
    // The SA's peer link, remembered per SA so a packet costs no key string; a link the endpoint has since
    // replaced or forgotten is looked up again.
    let peer = this.peerOfSa.get(sa);
    if (peer === undefined || ctx.peers.get(peer.key) !== peer) {
      peer = ctx.peers.get(peerLinkKey(sa.peer.address, sa.peer.port));
      if (peer !== undefined) this.peerOfSa.set(sa, peer);
    }
    if (peer === undefined) {
      ctx.counters.count('esp-unknown-peer');
      return;
    }
    ctx.onInboundEsp(sa, peer);
    if (r.nextHeader !== NEXT_HEADER_UDP || r.length < UDP_HEADER) {
      ctx.counters.count('esp-not-udp');
      return;
    }
    const data = r.data;
    const udp = r.offset;
    // RFC 3193 section 4: the SA protects UDP to and from port 1701 only. The inner UDP checksum is not
    // checked: ESP's ICV already covers these bytes, and after NAT it would be wrong anyway (RFC 3948 s3.1.2).
    if (data.readUInt16BE(udp + 2) !== L2TP_PORT) {
      ctx.counters.count('esp-not-l2tp');
      return;
    }
    peer.l2tpPort = data.readUInt16BE(udp);
    this.l2tp(peer, data, udp + UDP_HEADER, r.length - UDP_HEADER);
  }

  private l2tp(peer: PeerLink, buf: Buffer, offset: number, length: number): void {
    const ctx = this.ctx;
    const d = this.parsed;
    const kind: DataParseResult = parseDataMessage(buf, offset, length, d);
    if (kind === 'control') {
      ctx.onL2tpControl(peer, Buffer.from(buf.subarray(offset, offset + length)));
      return;
    }
    if (kind !== 'data') {
      ctx.counters.count('l2tp-malformed');
      return;
    }
    const session = ctx.sessions.byL2tpIds(d.tunnelId, d.sessionId);
    if (session === undefined) {
      ctx.counters.count('l2tp-unknown-session');
      return;
    }
    if (session.peerKey !== peer.key) {
      // RFC 3193 section 4: an L2TP peer must match the SA its packets came through.
      ctx.counters.count('l2tp-wrong-peer');
      return;
    }
    this.ppp(session, buf, d.payloadOffset, d.payloadOffset + d.payloadLength);
  }

  private ppp(session: VpnSession, buf: Buffer, start: number, end: number): void {
    const ctx = this.ctx;
    const f = this.frame;
    if (!parsePppFrame(buf, start, end, f)) {
      ctx.counters.count('ppp-malformed');
      return;
    }
    if (f.protocol !== PPP_IPV4 || !session.ipUp) {
      ctx.onPppControl(session, Buffer.from(buf.subarray(start, end)));
      return;
    }
    this.ipv4(session, buf, f.offset, end - f.offset);
  }

  private ipv4(session: VpnSession, buf: Buffer, offset: number, length: number): void {
    const ctx = this.ctx;
    if (length < 20 || buf[offset] >> 4 !== 4) {
      ctx.counters.count('ip-malformed');
      return;
    }
    // Anti-spoofing (issue 7): a client may only send from the address IPCP gave it; the server side of a
    // client link may send from anywhere (it routes the network behind it).
    if (ctx.role === 'server' && buf.readUInt32BE(offset + 12) !== session.innerAddress) {
      ctx.counters.count('ip-spoofed-source');
      return;
    }
    if (ctx.mssClamp > 0 && clampTcpMss(buf, offset, length, ctx.mssClamp)) ctx.counters.count('mss-clamped');
    const device = ctx.device;
    if (device === undefined) {
      ctx.counters.count('no-device');
      return;
    }
    session.packetsIn++;
    session.bytesIn += length;
    if (!device.write(buf, offset, length)) ctx.counters.count('tun-write-failed');
  }
}

/**
 * The send direction of the data path, top to bottom (DESIGN.md):
 *
 *   TUN read ─ IPv4 destination → session (inner-address table) ─ PPP header ─ L2TP data header ─ UDP
 *   header (port 1701) ─ ESP seal (the outbound SA of that session's peer) ─ UDP 4500 (or raw ESP) send
 *
 * One preallocated plaintext buffer and one ciphertext buffer serve every packet: the IPv4 packet is copied
 * once behind headroom for the three headers, sealed into the second buffer, and handed to the transport,
 * which sends (or copies) before returning. Control messages (L2TP control, PPP negotiation) take the same
 * route through `sendL2tp` / `sendPpp`.
 */
import { writeDataHeader } from '../l2tp/header.js';
import { FULL_FRAMING, prependPppHeader } from '../ppp/frame.js';
import type { DataPathContext } from './datapath-context.js';
import { clampTcpMss } from './mss-clamp.js';
import { L2TP_PORT, type PeerLink } from './peer-link.js';
import type { VpnSession } from './session.js';

const NEXT_HEADER_UDP = 17;
const UDP_HEADER = 8;
const L2TP_DATA_HEADER_MAX = 12;
const PPP_HEADER_MAX = 4;
const PPP_IPV4 = 0x0021;
/** Room in front of the inner packet for UDP + L2TP + PPP headers. */
const HEADROOM = UDP_HEADER + L2TP_DATA_HEADER_MAX + PPP_HEADER_MAX;
const MAX_PACKET = 65535;
/** ESP header, IV, padding, trailer and ICV never exceed this (AES-CBC + HMAC-SHA-512-256: 8+16+17+32). */
const ESP_OVERHEAD_MAX = 128;

export class OutboundPath {
  private readonly plain = Buffer.allocUnsafe(HEADROOM + MAX_PACKET);
  private readonly sealed = Buffer.allocUnsafe(HEADROOM + MAX_PACKET + ESP_OVERHEAD_MAX);

  constructor(private readonly ctx: DataPathContext) {}

  /** One IPv4 packet read from the TUN. */
  packet(buf: Buffer, offset: number, length: number): void {
    const ctx = this.ctx;
    if (length < 20 || buf[offset] >> 4 !== 4) {
      ctx.counters.count('ip-malformed');
      return;
    }
    const session =
      ctx.role === 'client' ? ctx.clientSession : ctx.sessions.byInnerAddress(buf.readUInt32BE(offset + 16));
    if (session === undefined || !session.ipUp) {
      ctx.counters.count('no-route');
      return;
    }
    const plain = this.plain;
    buf.copy(plain, HEADROOM, offset, offset + length);
    if (ctx.mssClamp > 0 && clampTcpMss(plain, HEADROOM, length, ctx.mssClamp))
      ctx.counters.count('mss-clamped');
    const pppStart = prependPppHeader(plain, HEADROOM, PPP_IPV4, FULL_FRAMING);
    if (this.data(session, pppStart, HEADROOM + length)) {
      session.packetsOut++;
      session.bytesOut += length;
    }
  }

  /** A PPP frame from the control plane (LCP, authentication, NCPs, or IPv4 it produced). */
  pppFrame(session: VpnSession, frame: Uint8Array): void {
    if (frame.length > MAX_PACKET) return;
    this.plain.set(frame, HEADROOM);
    this.data(session, HEADROOM, HEADROOM + frame.length);
  }

  /** An L2TP control message (or any whole L2TP datagram) for `peer`. */
  l2tp(peer: PeerLink, message: Uint8Array): void {
    if (message.length > MAX_PACKET - UDP_HEADER) return;
    this.plain.set(message, HEADROOM);
    this.udp(peer, HEADROOM, HEADROOM + message.length);
  }

  /** Wraps `plain[start, end)` (a PPP frame) in an L2TP data header for `session` and sends it. */
  private data(session: VpnSession, start: number, end: number): boolean {
    const peer = this.ctx.peers.get(session.peerKey);
    if (peer === undefined) {
      this.ctx.counters.count('no-outbound-sa');
      return false;
    }
    const ns = session.sequencing ? session.dataNs++ & 0xffff : -1;
    const l2tpStart = writeDataHeader(
      this.plain,
      start,
      end - start,
      session.peerTunnelId,
      session.peerSessionId,
      ns,
    );
    return this.udp(peer, l2tpStart, end);
  }

  /**
   * Puts the UDP header for L2TP (RFC 3193 section 4: port 1701 to the peer's L2TP port) in front of
   * `plain[start, end)`, seals it into the peer's outbound SA and sends it.
   */
  private udp(peer: PeerLink, start: number, end: number): boolean {
    const ctx = this.ctx;
    const plain = this.plain;
    const udp = start - UDP_HEADER;
    plain.writeUInt16BE(L2TP_PORT, udp);
    plain.writeUInt16BE(peer.l2tpPort, udp + 2);
    plain.writeUInt16BE(end - udp, udp + 4);
    // A zero UDP checksum means "none" over IPv4 (RFC 768); ESP's ICV protects these bytes, and RFC 3948
    // section 3.1.2 has NAT'd transport-mode receivers ignore or recompute it anyway.
    plain.writeUInt16BE(0, udp + 6);
    if (peer.plain) {
      ctx.transport.send(peer.local, peer.remote, plain, udp + UDP_HEADER, end - udp - UDP_HEADER);
      return true;
    }
    let sa = peer.outboundSa;
    if (sa === undefined || sa.state === 'dead') {
      sa = ctx.sad.outboundForPeer(
        peer.remote.address,
        peer.remote.port === 0 ? undefined : peer.remote.port,
      );
      peer.outboundSa = sa;
    }
    if (sa === undefined) {
      ctx.counters.count('no-outbound-sa');
      return false;
    }
    const n = sa.sealInto(plain.subarray(udp, end), NEXT_HEADER_UDP, this.sealed, 0);
    if (n === 0) {
      ctx.counters.count('seal-failed');
      return false;
    }
    ctx.transport.send(peer.local, peer.remote, this.sealed, 0, n);
    return true;
  }
}

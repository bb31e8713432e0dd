/**
 * The L2TP header (RFC 2661 section 3.1): T (control), L (length), S (Ns/Nr), O (offset), P (priority),
 * version 2, Tunnel ID, Session ID. Control messages always carry L and S and never O or P (section 3.1).
 *
 * The data half of this file runs per packet: `writeDataHeader` and `parseDataMessage` never allocate.
 */
import { L2tpDecodeError } from './errors.js';

export const FLAG_T = 0x8000;
export const FLAG_L = 0x4000;
export const FLAG_S = 0x0800;
export const FLAG_O = 0x0200;
export const FLAG_P = 0x0100;
/** Bits marked x in section 3.1: must be zero on send, ignored on receipt. */
const VERSION_MASK = 0x000f;
export const L2TP_VERSION = 2;

/** Size of a control header: flags, Length, Tunnel ID, Session ID, Ns, Nr. */
export const CONTROL_HEADER_SIZE = 12;

export interface ControlHeader {
  /** The receiver's Tunnel ID (0 on SCCRQ). */
  readonly tunnelId: number;
  /** The receiver's Session ID (0 for tunnel messages and ICRQ). */
  readonly sessionId: number;
  readonly ns: number;
  readonly nr: number;
}

/** Writes a complete control message: header followed by `body` (the encoded AVPs; empty for a ZLB). */
export function encodeControl(h: ControlHeader, body: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(CONTROL_HEADER_SIZE + body.length);
  out.writeUInt16BE(FLAG_T | FLAG_L | FLAG_S | L2TP_VERSION, 0);
  out.writeUInt16BE(out.length, 2);
  out.writeUInt16BE(h.tunnelId, 4);
  out.writeUInt16BE(h.sessionId, 6);
  out.writeUInt16BE(h.ns, 8);
  out.writeUInt16BE(h.nr, 10);
  out.set(body, CONTROL_HEADER_SIZE);
  return out;
}

/** Rewrites Nr in an already-encoded control message (retransmissions carry the current Nr, section 5.8). */
export function patchNr(msg: Buffer, nr: number): void {
  msg.writeUInt16BE(nr, 10);
}

export interface DecodedControl extends ControlHeader {
  /** The AVP bytes (a view into the datagram). Empty for a ZLB acknowledgement. */
  readonly body: Buffer;
}

/**
 * Decodes a control message header. Malformed headers throw `L2tpDecodeError`: section 3.1 says a control
 * message without L or S, or with O set, is malformed, and a wrong version is silently discarded.
 */
export function decodeControl(buf: Buffer): DecodedControl {
  if (buf.length < 2) throw new L2tpDecodeError('short', 'datagram shorter than an L2TP header');
  const flags = buf.readUInt16BE(0);
  if ((flags & VERSION_MASK) !== L2TP_VERSION) {
    throw new L2tpDecodeError('bad-version', `L2TP version ${flags & VERSION_MASK}`);
  }
  if ((flags & FLAG_T) === 0) throw new L2tpDecodeError('bad-flags', 'not a control message');
  if ((flags & FLAG_L) === 0 || (flags & FLAG_S) === 0 || (flags & FLAG_O) !== 0) {
    throw new L2tpDecodeError('bad-flags', `control message flags 0x${flags.toString(16)}`);
  }
  if (buf.length < CONTROL_HEADER_SIZE) throw new L2tpDecodeError('short', 'control header truncated');
  const length = buf.readUInt16BE(2);
  if (length < CONTROL_HEADER_SIZE || length > buf.length) {
    throw new L2tpDecodeError('bad-length', `length ${length} for a ${buf.length}-byte datagram`);
  }
  return {
    tunnelId: buf.readUInt16BE(4),
    sessionId: buf.readUInt16BE(6),
    ns: buf.readUInt16BE(8),
    nr: buf.readUInt16BE(10),
    body: buf.subarray(CONTROL_HEADER_SIZE, length),
  };
}

// ---- data messages (section 3.1, 5.4): the per-packet path ----

/** Largest data header `writeDataHeader` writes: flags, Length, Tunnel ID, Session ID, Ns, Nr. */
export const DATA_HEADER_MAX = 12;

/**
 * Writes an L2TP data header into `buf` immediately in front of the payload at `payloadOffset` and returns
 * where the header starts. `ns` < 0 sends no sequence numbers (S=0); otherwise S=1 with Nr = 0, which is
 * reserved in data messages (section 3.1). `withLength` sets the L bit. The caller leaves at least
 * `DATA_HEADER_MAX` bytes of headroom.
 */
export function writeDataHeader(
  buf: Buffer,
  payloadOffset: number,
  payloadLength: number,
  tunnelId: number,
  sessionId: number,
  ns: number,
  withLength = false,
): number {
  const size = 6 + (withLength ? 2 : 0) + (ns >= 0 ? 4 : 0);
  const start = payloadOffset - size;
  let p = start;
  // Plain index writes: per packet, and several times faster than Buffer#writeUInt16BE's checks.
  buf[p++] = ((withLength ? FLAG_L : 0) | (ns >= 0 ? FLAG_S : 0)) >> 8;
  buf[p++] = L2TP_VERSION;
  if (withLength) {
    const len = size + payloadLength;
    buf[p++] = len >> 8;
    buf[p++] = len & 0xff;
  }
  buf[p++] = tunnelId >> 8;
  buf[p++] = tunnelId & 0xff;
  buf[p++] = sessionId >> 8;
  buf[p++] = sessionId & 0xff;
  if (ns >= 0) {
    buf[p++] = (ns >> 8) & 0xff;
    buf[p++] = ns & 0xff;
    buf[p++] = 0;
    buf[p] = 0;
  }
  return start;
}

/** Filled in place by `parseDataMessage`; the caller keeps one and reuses it for every packet. */
export interface ParsedData {
  tunnelId: number;
  sessionId: number;
  /** Ns when the S bit was set, otherwise -1. */
  ns: number;
  /** The PPP frame inside `buf`, after any offset padding and a leading FF 03 address/control field. */
  payloadOffset: number;
  payloadLength: number;
}

export function newParsedData(): ParsedData {
  return { tunnelId: 0, sessionId: 0, ns: -1, payloadOffset: 0, payloadLength: 0 };
}

/** What `parseDataMessage` found: a data message, a control message for the control path, or a drop. */
export type DataParseResult = 'data' | 'control' | 'short' | 'bad-version' | 'bad-length';

/**
 * Parses an L2TP datagram at `buf[offset, offset+length)` without allocating. For a data message fills
 * `out`. A leading PPP address/control field (FF 03) is skipped: no PPP protocol number is FF03 (RFC 1661
 * section 2: the protocol's high octet is even), so it can only be HDLC-like framing left in by the peer.
 */
export function parseDataMessage(
  buf: Buffer,
  offset: number,
  length: number,
  out: ParsedData,
): DataParseResult {
  if (length < 6) return 'short';
  const end = offset + length;
  const flags = (buf[offset] << 8) | buf[offset + 1];
  if ((flags & VERSION_MASK) !== L2TP_VERSION) return 'bad-version';
  if ((flags & FLAG_T) !== 0) return 'control';
  let p = offset + 2;
  let msgEnd = end;
  if ((flags & FLAG_L) !== 0) {
    const l = (buf[p] << 8) | buf[p + 1];
    p += 2;
    if (l > length) return 'bad-length';
    msgEnd = offset + l;
  }
  if (p + 4 > msgEnd) return 'short';
  out.tunnelId = (buf[p] << 8) | buf[p + 1];
  out.sessionId = (buf[p + 2] << 8) | buf[p + 3];
  p += 4;
  if ((flags & FLAG_S) !== 0) {
    if (p + 4 > msgEnd) return 'short';
    out.ns = (buf[p] << 8) | buf[p + 1];
    p += 4; // Nr is reserved in data messages and ignored on receipt (section 3.1)
  } else {
    out.ns = -1;
  }
  if ((flags & FLAG_O) !== 0) {
    if (p + 2 > msgEnd) return 'short';
    p += 2 + ((buf[p] << 8) | buf[p + 1]);
    if (p > msgEnd) return 'bad-length';
  }
  if (p + 2 <= msgEnd && buf[p] === 0xff && buf[p + 1] === 0x03) p += 2;
  out.payloadOffset = p;
  out.payloadLength = msgEnd - p;
  return 'data';
}

/**
 * The PPP header on an L2TP session (RFC 2661 carries PPP frames without HDLC flags, stuffing or FCS):
 * the optional Address/Control octets FF 03 (omittable after ACFC, RFC 1661 section 6.6) and the Protocol
 * field, one octet when compressed (PFC, section 6.5; only for protocols below 0x100). These helpers are on
 * the data path: they read and write in place, without allocating.
 */

export const ADDRESS_CONTROL_0 = 0xff;
export const ADDRESS_CONTROL_1 = 0x03;

/** How we frame what we send: FF 03 present, protocol field compressed. */
export interface PppFraming {
  readonly addressControl: boolean;
  readonly compressProtocol: boolean;
}

export const FULL_FRAMING: PppFraming = { addressControl: true, compressProtocol: false };

/** A reusable result for `parsePppFrame`: the protocol and where its information field starts. */
export class PppFrameView {
  protocol = 0;
  /** Offset of the information field within the parsed buffer. */
  offset = 0;
}

/**
 * Reads the header of the frame in `buf[start, end)` into `out`. Returns false for a frame too short to
 * carry a protocol or with an invalid Protocol field (RFC 1661 section 2: the least significant octet is
 * odd, the most significant even).
 */
export function parsePppFrame(buf: Uint8Array, start: number, end: number, out: PppFrameView): boolean {
  let at = start;
  if (end - at >= 2 && buf[at] === ADDRESS_CONTROL_0 && buf[at + 1] === ADDRESS_CONTROL_1) at += 2;
  if (at >= end) return false;
  const first = buf[at];
  if ((first & 1) === 1) {
    out.protocol = first;
    out.offset = at + 1;
    return true;
  }
  if (at + 1 >= end) return false;
  const second = buf[at + 1];
  if ((second & 1) === 0) return false;
  out.protocol = (first << 8) | second;
  out.offset = at + 2;
  return true;
}

export function pppHeaderLength(protocol: number, framing: PppFraming): number {
  return (framing.addressControl ? 2 : 0) + (framing.compressProtocol && protocol < 0x100 ? 1 : 2);
}

/** Writes the header at `offset`; returns the offset just past it, where the information field goes. */
export function writePppHeader(
  buf: Uint8Array,
  offset: number,
  protocol: number,
  framing: PppFraming,
): number {
  let at = offset;
  if (framing.addressControl) {
    buf[at++] = ADDRESS_CONTROL_0;
    buf[at++] = ADDRESS_CONTROL_1;
  }
  if (!framing.compressProtocol || protocol >= 0x100) buf[at++] = protocol >>> 8;
  buf[at++] = protocol & 0xff;
  return at;
}

/**
 * Writes the header so that it ends exactly at `payloadOffset` (the caller left headroom before a packet it
 * read in place); returns where the frame starts.
 */
export function prependPppHeader(
  buf: Uint8Array,
  payloadOffset: number,
  protocol: number,
  framing: PppFraming,
): number {
  const start = payloadOffset - pppHeaderLength(protocol, framing);
  if (start < 0) throw new RangeError('no headroom for the PPP header');
  writePppHeader(buf, start, protocol, framing);
  return start;
}

/** Control path: a fresh frame holding `information` (LCP and the NCPs always use full framing). */
export function encodePppFrame(protocol: number, information: Uint8Array, framing = FULL_FRAMING): Buffer {
  const out = Buffer.allocUnsafe(pppHeaderLength(protocol, framing) + information.length);
  out.set(information, writePppHeader(out, 0, protocol, framing));
  return out;
}

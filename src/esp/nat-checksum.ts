/**
 * Fixing the inner TCP/UDP checksum of a transport-mode packet after NAT (RFC 3948 section 3.1.2).
 *
 * In transport mode the peer computed the inner UDP checksum over a pseudo-header with ITS addresses. A NAT
 * between us rewrote the outer IPv4 header but could not touch the encrypted checksum, so after decryption
 * the checksum is wrong against the addresses we now see. IKE tells us the original addresses (NAT-OA,
 * RFC 3947 section 5.2): we either update the checksum incrementally from original to observed addresses
 * (RFC 1624 equation 3), recompute it, or, for UDP only, zero it (RFC 768: zero = no checksum; RFC 3948
 * section 3.1.2 allows that for UDP).
 */

export type ChecksumFix = 'incremental' | 'recompute' | 'zero';

export const PROTO_TCP = 6;
export const PROTO_UDP = 17;

/** Dotted-quad IPv4 to its four bytes. Throws RangeError on anything else. */
export function ipv4Bytes(address: string): Uint8Array {
  const parts = address.split('.');
  if (parts.length !== 4) throw new RangeError(`not an IPv4 address: ${address}`);
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const v = Number(parts[i]);
    if (!/^\d{1,3}$/.test(parts[i]) || v > 255) throw new RangeError(`not an IPv4 address: ${address}`);
    out[i] = v;
  }
  return out;
}

/** One's-complement sum of 16-bit big-endian words of `buf[start, end)`, folded to 16 bits (RFC 1071). */
function sum16(buf: Uint8Array, start: number, end: number, acc: number): number {
  let s = acc;
  let i = start;
  for (; i + 1 < end; i += 2) s += (buf[i] << 8) | buf[i + 1];
  if (i < end) s += buf[i] << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

/**
 * The TCP or UDP checksum of `segment[offset, offset+length)` (its checksum field counted as zero) over the
 * IPv4 pseudo-header (RFC 768, RFC 793 section 3.1). A UDP result of 0 is sent as 0xFFFF (RFC 768).
 */
export function transportChecksum(
  segment: Uint8Array,
  offset: number,
  length: number,
  protocol: number,
  src: Uint8Array,
  dst: Uint8Array,
): number {
  const field = offset + (protocol === PROTO_UDP ? 6 : 16);
  let s = sum16(src, 0, 4, 0);
  s = sum16(dst, 0, 4, s);
  s += protocol + length;
  s = sum16(segment, offset, field, s);
  s = sum16(segment, field + 2, offset + length, s);
  const c = ~s & 0xffff;
  return protocol === PROTO_UDP && c === 0 ? 0xffff : c;
}

/**
 * RFC 1624 equation 3, HC' = ~(~HC + ~m + m'), applied word by word for the pseudo-header's address change
 * from (fromSrc, fromDst) to (toSrc, toDst).
 */
export function adjustChecksumForAddresses(
  checksum: number,
  fromSrc: Uint8Array,
  fromDst: Uint8Array,
  toSrc: Uint8Array,
  toDst: Uint8Array,
): number {
  let s = ~checksum & 0xffff;
  for (const [from, to] of [
    [fromSrc, toSrc],
    [fromDst, toDst],
  ] as const) {
    for (let i = 0; i < 4; i += 2) {
      s += ~((from[i] << 8) | from[i + 1]) & 0xffff;
      s += (to[i] << 8) | to[i + 1];
    }
  }
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

export interface NatOriginalAddresses {
  /** NAT-OAi / the peer's original source address as the peer saw it. */
  readonly originalSrc: Uint8Array;
  /** NAT-OAr / the destination address as the peer addressed it. */
  readonly originalDst: Uint8Array;
}

/**
 * Rewrites, in place, the checksum of the TCP or UDP segment `segment[offset, offset+length)` decrypted from
 * a transport-mode SA, so that it is right for the addresses seen on the outer header (`src`, `dst`).
 * Returns false (and leaves the bytes alone) for a protocol other than TCP/UDP or a segment too short to
 * hold its checksum. A UDP checksum of 0 (none sent) stays 0.
 */
export function fixTransportChecksum(
  segment: Buffer,
  offset: number,
  length: number,
  protocol: number,
  original: NatOriginalAddresses,
  src: Uint8Array,
  dst: Uint8Array,
  how: ChecksumFix,
): boolean {
  if (protocol !== PROTO_UDP && protocol !== PROTO_TCP) return false;
  const field = offset + (protocol === PROTO_UDP ? 6 : 16);
  if (length < (protocol === PROTO_UDP ? 8 : 20)) return false;
  const old = segment.readUInt16BE(field);
  if (protocol === PROTO_UDP && old === 0) return true;
  let c: number;
  if (how === 'zero') {
    if (protocol !== PROTO_UDP) return false; // TCP has no "no checksum"
    c = 0;
  } else if (how === 'recompute') {
    c = transportChecksum(segment, offset, length, protocol, src, dst);
  } else {
    c = adjustChecksumForAddresses(old, original.originalSrc, original.originalDst, src, dst);
    if (protocol === PROTO_UDP && c === 0) c = 0xffff;
  }
  segment.writeUInt16BE(c, field);
  return true;
}

/**
 * TCP MSS clamping on the tunnel (issue 7): a SYN's Maximum Segment Size option (RFC 9293 section 3.7.1)
 * is lowered to what fits the inner MTU, so TCP never sends segments that ESP over NAT-T would have to
 * fragment. The checksum is updated incrementally (RFC 1624 equation 3), in place, without allocating.
 */

const PROTO_TCP = 6;
const TCP_FLAG_SYN = 0x02;
const OPT_END = 0;
const OPT_NOP = 1;
const OPT_MSS = 2;

/**
 * Clamps the MSS option of an IPv4 TCP SYN in `buf[offset, offset+length)` to `maxMss`. Returns true when
 * the packet was changed. Anything that is not a well-formed first fragment of a TCP SYN is left alone.
 */
export function clampTcpMss(buf: Buffer, offset: number, length: number, maxMss: number): boolean {
  if (length < 40 || buf[offset] >> 4 !== 4 || buf[offset + 9] !== PROTO_TCP) return false;
  const ihl = (buf[offset] & 0x0f) * 4;
  // Only the first fragment carries the TCP header.
  if ((buf.readUInt16BE(offset + 6) & 0x1fff) !== 0) return false;
  const tcp = offset + ihl;
  if (tcp + 20 > offset + length) return false;
  if ((buf[tcp + 13] & TCP_FLAG_SYN) === 0) return false;
  const dataOffset = (buf[tcp + 12] >> 4) * 4;
  const optEnd = Math.min(tcp + dataOffset, offset + length);
  let p = tcp + 20;
  while (p < optEnd) {
    const kind = buf[p];
    if (kind === OPT_END) break;
    if (kind === OPT_NOP) {
      p++;
      continue;
    }
    if (p + 1 >= optEnd) break;
    const optLen = buf[p + 1];
    if (optLen < 2 || p + optLen > optEnd) break;
    if (kind === OPT_MSS && optLen === 4) {
      const mss = buf.readUInt16BE(p + 2);
      if (mss <= maxMss) return false;
      buf.writeUInt16BE(maxMss, p + 2);
      // NOPs can leave the option at an odd offset from the TCP header; the checksum update must know.
      updateChecksum(buf, tcp + 16, (p + 2 - tcp) % 2 === 0, mss, maxMss);
      return true;
    }
    p += optLen;
  }
  return false;
}

/**
 * RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'). When the changed 16-bit value straddles a 16-bit boundary of the
 * checksummed data (odd offset), the one's complement sum sees it byte-swapped.
 */
function updateChecksum(buf: Buffer, at: number, aligned: boolean, oldValue: number, newValue: number): void {
  const swap = (v: number) => ((v & 0xff) << 8) | (v >> 8);
  const m = aligned ? oldValue : swap(oldValue);
  const m2 = aligned ? newValue : swap(newValue);
  let sum = (~buf.readUInt16BE(at) & 0xffff) + (~m & 0xffff) + m2;
  sum = (sum & 0xffff) + (sum >>> 16);
  sum = (sum & 0xffff) + (sum >>> 16);
  buf.writeUInt16BE(~sum & 0xffff, at);
}

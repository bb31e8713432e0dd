/**
 * IPv4 addresses as host-order unsigned 32-bit integers: what the native edge hands over per packet (no
 * string per packet), and what the address pool counts with. RFC 791 section 3.1 dotted-quad text form.
 */

/** Dotted quad → host-order unsigned integer; throws RangeError on anything else. */
export function ipv4ToInt(addr: string): number {
  const parts = addr.split('.');
  if (parts.length !== 4) throw new RangeError(`not an IPv4 address: '${addr}'`);
  let v = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) throw new RangeError(`not an IPv4 address: '${addr}'`);
    const n = Number(p);
    if (n > 255) throw new RangeError(`not an IPv4 address: '${addr}'`);
    v = v * 256 + n;
  }
  return v;
}

export function intToIpv4(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

export function isIpv4(addr: string): boolean {
  try {
    ipv4ToInt(addr);
    return true;
  } catch {
    return false;
  }
}

/** Reads the address at `buf[offset..offset+4]` (network order, as in an IPv4 header). */
export function readIpv4(buf: Uint8Array, offset: number): number {
  return ((buf[offset] << 24) | (buf[offset + 1] << 16) | (buf[offset + 2] << 8) | buf[offset + 3]) >>> 0;
}

export interface Ipv4Cidr {
  /** The network address (host bits cleared). */
  network: number;
  prefixLength: number;
}

/** "a.b.c.d/n" → network and prefix length; the host bits must be zero unless `loose`. */
export function parseCidr(text: string, loose = false): Ipv4Cidr {
  const m = /^([^/]+)\/(\d{1,2})$/.exec(text.trim());
  if (!m) throw new RangeError(`not an IPv4 CIDR block: '${text}'`);
  const prefixLength = Number(m[2]);
  if (prefixLength > 32) throw new RangeError(`prefix length above 32: '${text}'`);
  const addr = ipv4ToInt(m[1]);
  const network = (addr & prefixMask(prefixLength)) >>> 0;
  if (!loose && network !== addr) throw new RangeError(`host bits set in CIDR block: '${text}'`);
  return { network, prefixLength };
}

export function prefixMask(prefixLength: number): number {
  return prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
}

export function cidrContains(cidr: Ipv4Cidr, addr: number): boolean {
  return (addr & prefixMask(cidr.prefixLength)) >>> 0 === cidr.network;
}

/**
 * The client address pool: IPCP hands each PPP session one IPv4 address (RFC 1332 section 3.3,
 * IP-Address option). Dynamic addresses come from a range ("a-b", as hwdsl2's VPN_L2TP_POOL) or a CIDR
 * block (network and broadcast addresses excluded); a user may have a static address (VPN_ADDL_IP_ADDRS),
 * which no one else ever receives. The server's own tunnel address is never leased. Each lease belongs to
 * one session and is released when that session ends; releasing a stale lease never frees an address
 * that has since gone to someone else.
 */
import { cidrContains, type Ipv4Cidr, intToIpv4, ipv4ToInt, parseCidr } from '../net/ipv4-address.js';

/** Largest dynamic range accepted (a /12): the free map is one byte per address. */
const MAX_POOL_SIZE = 1 << 20;

export interface AddressPoolOptions {
  /** "a.b.c.d-e.f.g.h" (inclusive) or "a.b.c.d/n". */
  range: string;
  /** Addresses never leased: the server's tunnel address, DNS servers in the range, … */
  exclude?: readonly string[];
  /** user name → static address; may lie inside or outside `range`. */
  staticAddresses?: ReadonlyMap<string, string> | Readonly<Record<string, string>>;
  /** When given, static addresses must lie inside this block (hwdsl2: VPN_L2TP_NET). */
  network?: string;
}

export interface Lease {
  readonly address: string;
  /** Host-order integer form of `address` (the inner-address table's key). */
  readonly addressInt: number;
  readonly user: string;
  readonly static: boolean;
  /** Distinguishes this lease from a later one of the same address. */
  readonly id: number;
}

export class PoolConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PoolConfigError';
  }
}

/** No dynamic address is free. */
export class PoolExhaustedError extends Error {
  constructor(readonly user: string) {
    super(`address pool exhausted (user ${user})`);
    this.name = 'PoolExhaustedError';
  }
}

/** The user's static address is held by another of their sessions. */
export class StaticAddressInUseError extends Error {
  constructor(
    readonly user: string,
    readonly address: string,
  ) {
    super(`static address ${address} of user ${user} is already in use by another session`);
    this.name = 'StaticAddressInUseError';
  }
}

/** Parses "a-b" or a CIDR block into the inclusive integer bounds of the dynamic addresses. */
export function parseRange(text: string): { first: number; last: number } {
  const t = text.trim();
  if (t.includes('/')) {
    let cidr: Ipv4Cidr;
    try {
      cidr = parseCidr(t, true);
    } catch (err) {
      throw new PoolConfigError((err as Error).message);
    }
    const size = 2 ** (32 - cidr.prefixLength);
    // RFC 919/922: the all-zeros and all-ones host addresses are not hosts (except on /31 and /32).
    if (size <= 2) return { first: cidr.network, last: cidr.network + size - 1 };
    return { first: cidr.network + 1, last: cidr.network + size - 2 };
  }
  const parts = t.split('-');
  if (parts.length !== 2) throw new PoolConfigError(`pool must be "first-last" or a CIDR block: '${text}'`);
  let first: number;
  let last: number;
  try {
    first = ipv4ToInt(parts[0].trim());
    last = ipv4ToInt(parts[1].trim());
  } catch (err) {
    throw new PoolConfigError((err as Error).message);
  }
  if (last < first) throw new PoolConfigError(`pool range ends before it starts: '${text}'`);
  return { first, last };
}

export class AddressPool {
  readonly first: number;
  readonly last: number;
  /** 1 = not available dynamically (leased, excluded, or some user's static address). */
  private readonly taken: Uint8Array;
  private readonly leases = new Map<number, Lease>();
  private readonly statics = new Map<string, number>();
  private readonly excluded = new Set<number>();
  private cursor = 0;
  private nextId = 1;
  private dynamicFree: number;

  constructor(opts: AddressPoolOptions) {
    const { first, last } = parseRange(opts.range);
    const size = last - first + 1;
    if (size > MAX_POOL_SIZE)
      throw new PoolConfigError(`pool of ${size} addresses is larger than ${MAX_POOL_SIZE}`);
    this.first = first;
    this.last = last;
    this.taken = new Uint8Array(size);
    this.dynamicFree = size;
    for (const a of opts.exclude ?? []) {
      const v = this.parse(a, 'excluded address');
      this.excluded.add(v);
      this.reserve(v);
    }
    const network = opts.network ? parseCidr(opts.network, true) : undefined;
    const entries =
      opts.staticAddresses instanceof Map
        ? [...opts.staticAddresses.entries()]
        : Object.entries((opts.staticAddresses ?? {}) as Record<string, string>);
    const owner = new Map<number, string>();
    for (const [user, addr] of entries) {
      const v = this.parse(addr, `static address of ${user}`);
      if (this.excluded.has(v)) throw new PoolConfigError(`static address ${addr} of ${user} is reserved`);
      if (network && !cidrContains(network, v)) {
        throw new PoolConfigError(`static address ${addr} of ${user} is outside ${opts.network}`);
      }
      const other = owner.get(v);
      if (other !== undefined) {
        throw new PoolConfigError(`static address ${addr} given to both ${other} and ${user}`);
      }
      owner.set(v, user);
      this.statics.set(user, v);
      this.reserve(v);
    }
  }

  private parse(addr: string, what: string): number {
    try {
      return ipv4ToInt(addr);
    } catch {
      throw new PoolConfigError(`${what} is not an IPv4 address: '${addr}'`);
    }
  }

  private inRange(v: number): boolean {
    return v >= this.first && v <= this.last;
  }

  private reserve(v: number): void {
    if (this.inRange(v) && this.taken[v - this.first] === 0) {
      this.taken[v - this.first] = 1;
      this.dynamicFree--;
    }
  }

  /** Number of addresses in the dynamic range. */
  get size(): number {
    return this.last - this.first + 1;
  }

  /** Dynamic addresses still free. */
  get available(): number {
    return this.dynamicFree;
  }

  /** Leases currently held. */
  get leased(): number {
    return this.leases.size;
  }

  /** The user's static address, if any. */
  staticAddressOf(user: string): string | undefined {
    const v = this.statics.get(user);
    return v === undefined ? undefined : intToIpv4(v);
  }

  /**
   * Leases an address to a new session of `user`: their static address when they have one, otherwise the
   * next free dynamic address after the last one handed out (round robin, so a just-released address is
   * not reused at once while stale packets for it may still be in flight).
   */
  lease(user: string): Lease {
    const s = this.statics.get(user);
    if (s !== undefined) {
      if (this.leases.has(s)) throw new StaticAddressInUseError(user, intToIpv4(s));
      return this.record(s, user, true);
    }
    if (this.dynamicFree === 0) throw new PoolExhaustedError(user);
    const size = this.size;
    for (let i = 0; i < size; i++) {
      const idx = (this.cursor + i) % size;
      if (this.taken[idx] === 0) {
        this.taken[idx] = 1;
        this.dynamicFree--;
        this.cursor = (idx + 1) % size;
        return this.record(this.first + idx, user, false);
      }
    }
    throw new PoolExhaustedError(user);
  }

  private record(v: number, user: string, isStatic: boolean): Lease {
    const lease: Lease = Object.freeze({
      address: intToIpv4(v),
      addressInt: v,
      user,
      static: isStatic,
      id: this.nextId++,
    });
    this.leases.set(v, lease);
    return lease;
  }

  /** Returns the lease's address to the pool; false if that lease is no longer held (already released). */
  release(lease: Lease): boolean {
    const held = this.leases.get(lease.addressInt);
    if (held === undefined || held.id !== lease.id) return false;
    this.leases.delete(lease.addressInt);
    if (!lease.static && this.inRange(lease.addressInt)) {
      this.taken[lease.addressInt - this.first] = 0;
      this.dynamicFree++;
    }
    return true;
  }

  /** The lease holding `address`, if any. */
  holder(address: string | number): Lease | undefined {
    return this.leases.get(typeof address === 'number' ? address : ipv4ToInt(address));
  }

  /** Every lease currently held. */
  all(): Lease[] {
    return [...this.leases.values()];
  }
}

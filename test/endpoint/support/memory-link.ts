/**
 * An in-memory outer network for VpnEndpoint pairs: every `OuterTransport.send` is copied and delivered to
 * the endpoint that owns the destination address on a later turn of the event loop (setImmediate), as a
 * real socket would. Hosts are either "public" (the server) or "private" behind one NAPT box that rewrites
 * their source address and port (RFC 3022 section 2.2), so IKE sees a NAT (RFC 3947) and ESP rides UDP
 * 4500 (RFC 3948). A seeded generator decides losses and duplicates, so a failing run reproduces.
 * Addresses are labels only: nothing here touches the host's network.
 */
import { createHash } from 'node:crypto';
import type { InnerDevice, OuterAddress, OuterTransport } from '../../../src/endpoint/links.js';
import type { VpnEndpoint } from '../../../src/endpoint/vpn-endpoint.js';
import type { Rng } from '../../../src/util/clock.js';

/** Deterministic bytes from a seed (counter-mode SHA-256). */
export function seededRng(seed: string): Rng {
  let counter = 0;
  return (n) => {
    const out = Buffer.alloc(n);
    let off = 0;
    while (off < n) {
      const block = createHash('sha256').update(`${seed}:${counter++}`).digest();
      off += block.copy(out, off);
    }
    return out;
  };
}

/** A seeded uniform [0, 1) source for loss and duplication decisions. */
function seededUniform(seed: string): () => number {
  const rng = seededRng(seed);
  return () => rng(4).readUInt32BE(0) / 0x1_0000_0000;
}

export interface MemoryNetworkOptions {
  /** Probability that a datagram is lost (each direction, each datagram). */
  readonly loss?: number;
  /** Probability that a delivered datagram is delivered a second time. */
  readonly duplicate?: number;
  readonly seed?: string;
  /** The NAT's public address (private hosts appear from here). */
  readonly natAddress?: string;
  /** First public port the NAT hands out. */
  readonly natFirstPort?: number;
}

/** One datagram as it crossed the wire (after NAT), for assertions. */
export interface WireRecord {
  readonly from: OuterAddress;
  readonly to: OuterAddress;
  readonly data: Buffer;
  readonly verdict: 'delivered' | 'lost' | 'duplicated' | 'unroutable';
}

interface Host {
  readonly address: string;
  readonly behindNat: boolean;
  endpoint: VpnEndpoint | undefined;
  /** Bumped by `restart`: transports of an earlier generation (a crashed process) send nothing. */
  generation: number;
}

export class MemoryNetwork {
  readonly wire: WireRecord[] = [];
  private readonly hosts = new Map<string, Host>();
  private readonly uniform: () => number;
  private readonly loss: number;
  private readonly duplicate: number;
  readonly natAddress: string;
  private nextNatPort: number;
  /** NAT table: private "addr:port" → public port, and back. */
  private readonly natOut = new Map<string, number>();
  private readonly natIn = new Map<number, OuterAddress>();
  private pending = 0;
  private closed = false;
  /**
   * Benchmark mode: deliver synchronously, without copying or NAT, so a measurement sees only the endpoints'
   * own work (and allocations). Never with loss, NAT or a cut link.
   */
  direct = false;
  /** Hosts whose link is cut: nothing to or from them gets through. */
  private readonly cutOff = new Set<string>();

  constructor(opts: MemoryNetworkOptions = {}) {
    this.loss = opts.loss ?? 0;
    this.duplicate = opts.duplicate ?? 0;
    this.uniform = seededUniform(opts.seed ?? 'memory-network');
    this.natAddress = opts.natAddress ?? '10.0.0.100';
    this.nextNatPort = opts.natFirstPort ?? 40000;
  }

  /** Adds a host; returns the transport its endpoint sends through. Attach the endpoint afterwards. */
  host(address: string, opts: { behindNat?: boolean } = {}): OuterTransport {
    if (this.hosts.has(address)) throw new Error(`host ${address} already exists`);
    const host: Host = { address, behindNat: opts.behindNat ?? false, endpoint: undefined, generation: 0 };
    this.hosts.set(address, host);
    return this.transportFor(host);
  }

  /**
   * The process at `address` crashed and starts afresh: its old endpoint neither sends nor receives any
   * more, and the returned transport belongs to the new one (attach it afterwards). NAT mappings stay.
   */
  restart(address: string): OuterTransport {
    const host = this.hosts.get(address);
    if (host === undefined) throw new Error(`no host ${address}`);
    host.generation++;
    host.endpoint = undefined;
    return this.transportFor(host);
  }

  private transportFor(host: Host): OuterTransport {
    const generation = host.generation;
    return {
      send: (local, remote, buf, offset, length) => {
        if (host.generation === generation) this.send(host, local, remote, buf, offset, length);
      },
    };
  }

  attach(address: string, endpoint: VpnEndpoint): void {
    const host = this.hosts.get(address);
    if (host === undefined) throw new Error(`no host ${address}`);
    host.endpoint = endpoint;
  }

  /** The public port the NAT gave `address:port`, if it has a mapping. */
  natPortOf(address: string, port: number): number | undefined {
    return this.natOut.get(`${address}:${port}`);
  }

  /** Resolves once every datagram in flight has been delivered (and whatever that caused, recursively). */
  async settle(): Promise<void> {
    while (this.pending > 0) await new Promise((r) => setImmediate(r));
  }

  /** Cuts (or restores) `address`'s link: a client that vanished without a goodbye. */
  cut(address: string, isCut = true): void {
    if (isCut) this.cutOff.add(address);
    else this.cutOff.delete(address);
  }

  /** Stops delivering anything (after a test). */
  close(): void {
    this.closed = true;
  }

  private send(
    host: Host,
    local: OuterAddress,
    remote: OuterAddress,
    buf: Buffer,
    offset: number,
    length: number,
  ): void {
    if (this.closed) return;
    if (local.address !== host.address) throw new Error(`${host.address} sent from ${local.address}`);
    if (this.direct) {
      this.hosts.get(remote.address)?.endpoint?.inbound.datagram(buf, offset, length, local, remote);
      return;
    }
    // The caller may reuse its buffer as soon as send returns (links.ts).
    const data = Buffer.from(buf.subarray(offset, offset + length));
    let from: OuterAddress = local;
    let to: OuterAddress = remote;
    if (host.behindNat && !this.isPrivate(remote.address)) from = this.translateOut(local);
    // What the wire carries (outside the NAT): the public source and the destination as addressed.
    const onWire = { from, to: remote };
    let dest: Host | undefined;
    if (to.address === this.natAddress) {
      const inside = this.natIn.get(to.port);
      if (inside !== undefined) {
        to = inside;
        dest = this.hosts.get(inside.address);
      }
    } else {
      dest = this.hosts.get(to.address);
      // A public host cannot reach a private one except through the NAT.
      if (dest?.behindNat && !host.behindNat) dest = undefined;
    }
    if (dest === undefined || dest.endpoint === undefined) {
      this.wire.push({ ...onWire, data, verdict: 'unroutable' });
      return;
    }
    if (
      this.cutOff.has(host.address) ||
      this.cutOff.has(dest.address) ||
      (this.loss > 0 && this.uniform() < this.loss)
    ) {
      this.wire.push({ ...onWire, data, verdict: 'lost' });
      return;
    }
    const twice = this.duplicate > 0 && this.uniform() < this.duplicate;
    this.wire.push({ ...onWire, data, verdict: twice ? 'duplicated' : 'delivered' });
    const endpoint = dest.endpoint;
    const deliver = () => {
      this.pending--;
      if (this.closed || dest.endpoint !== endpoint) return;
      endpoint.inbound.datagram(Buffer.from(data), 0, data.length, from, to);
    };
    this.pending++;
    setImmediate(deliver);
    if (twice) {
      this.pending++;
      setImmediate(deliver);
    }
  }

  private isPrivate(address: string): boolean {
    return this.hosts.get(address)?.behindNat === true;
  }

  /** NAPT (RFC 3022 section 2.2): one public port per private address and port, kept for the test. */
  private translateOut(local: OuterAddress): OuterAddress {
    const key = `${local.address}:${local.port}`;
    let port = this.natOut.get(key);
    if (port === undefined) {
      port = this.nextNatPort++;
      this.natOut.set(key, port);
      this.natIn.set(port, local);
    }
    return { address: this.natAddress, port };
  }
}

/** A TUN stand-in that records a copy of every IPv4 packet the endpoint writes. */
export class RecordingDevice implements InnerDevice {
  readonly packets: Buffer[] = [];

  write(buf: Uint8Array, offset: number, length: number): boolean {
    this.packets.push(Buffer.from(buf.subarray(offset, offset + length)));
    return true;
  }

  clear(): void {
    this.packets.length = 0;
  }
}

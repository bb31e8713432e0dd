/**
 * IPCP options (RFC 1332 section 3) with the DNS and NBNS (WINS) server extensions of RFC 1877. The server
 * Naks a 0.0.0.0 IP-Address with the peer's address (static or pooled) and the name servers with their
 * configured values; the client asks with zeros and adopts what the Naks carry. Van Jacobson compression
 * (IP-Compression-Protocol) and the deprecated IP-Addresses option are Rejected.
 */
import { isIPv4 } from 'node:net';
import type { Negotiator, ReplyOutcome, Verdict } from './negotiator.js';
import type { CpOption } from './packet.js';

export const IPCP_OPTION = {
  IP_ADDRESSES: 1,
  IP_COMPRESSION_PROTOCOL: 2,
  IP_ADDRESS: 3,
  PRIMARY_DNS: 129,
  PRIMARY_NBNS: 130,
  SECONDARY_DNS: 131,
  SECONDARY_NBNS: 132,
} as const;

const ZERO = '0.0.0.0';

export function ipv4ToBytes(address: string): Buffer {
  if (!isIPv4(address)) throw new RangeError(`not an IPv4 address: ${address}`);
  return Buffer.from(address.split('.').map(Number));
}

export function bytesToIpv4(b: Uint8Array): string {
  return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}

function addressOption(type: number, address: string): CpOption {
  return { type, data: ipv4ToBytes(address) };
}

/** Name-server options in RFC 1877 order: [primary, secondary] for DNS and for NBNS. */
const NAME_SERVERS = [
  { type: IPCP_OPTION.PRIMARY_DNS, kind: 'dns', index: 0 },
  { type: IPCP_OPTION.SECONDARY_DNS, kind: 'dns', index: 1 },
  { type: IPCP_OPTION.PRIMARY_NBNS, kind: 'wins', index: 0 },
  { type: IPCP_OPTION.SECONDARY_NBNS, kind: 'wins', index: 1 },
] as const;

export type IpcpConfig =
  | {
      readonly role: 'server';
      /** Our end of the point-to-point link. */
      readonly localAddress: string;
      readonly dns?: readonly string[];
      readonly wins?: readonly string[];
      /** The peer's address, assigned on first need (static or from the pool); undefined when none is left. */
      readonly assignPeerAddress: () => string | undefined;
    }
  | {
      readonly role: 'client';
      /** An address to ask for; default 0.0.0.0 (let the server choose). */
      readonly requestAddress?: string;
      readonly requestDns?: boolean;
      readonly requestWins?: boolean;
    };

export interface IpcpNegotiated {
  readonly localAddress: string;
  readonly peerAddress: string;
  readonly dns: readonly string[];
  readonly wins: readonly string[];
}

export class IpcpOptions implements Negotiator {
  private ourAddress = ZERO;
  private addressRejected = false;
  /** Client: the name servers we ask for (index 0 primary, 1 secondary), undefined once Rejected. */
  private wantDns: (string | undefined)[] = [];
  private wantWins: (string | undefined)[] = [];
  private peerAddress = ZERO;

  constructor(private readonly config: IpcpConfig) {
    this.resetRequest();
  }

  get negotiated(): IpcpNegotiated {
    if (this.config.role === 'server') {
      return {
        localAddress: this.config.localAddress,
        peerAddress: this.peerAddress,
        dns: this.config.dns ?? [],
        wins: this.config.wins ?? [],
      };
    }
    return {
      localAddress: this.ourAddress,
      peerAddress: this.peerAddress,
      dns: this.wantDns.filter((a): a is string => a !== undefined && a !== ZERO),
      wins: this.wantWins.filter((a): a is string => a !== undefined && a !== ZERO),
    };
  }

  resetRequest(): void {
    this.addressRejected = false;
    if (this.config.role === 'server') {
      this.ourAddress = this.config.localAddress;
      return;
    }
    this.ourAddress = this.config.requestAddress ?? ZERO;
    this.wantDns = this.config.requestDns ? [ZERO, ZERO] : [];
    this.wantWins = this.config.requestWins ? [ZERO, ZERO] : [];
  }

  buildRequest(): CpOption[] {
    const out: CpOption[] = [];
    if (!this.addressRejected) out.push(addressOption(IPCP_OPTION.IP_ADDRESS, this.ourAddress));
    if (this.config.role === 'client') {
      for (const ns of NAME_SERVERS) {
        const want = (ns.kind === 'dns' ? this.wantDns : this.wantWins)[ns.index];
        if (want !== undefined) out.push(addressOption(ns.type, want));
      }
    }
    return out;
  }

  judgeRequest(options: readonly CpOption[], rejectInsteadOfNak: boolean): Verdict {
    return this.config.role === 'server'
      ? this.judgeAsServer(options, rejectInsteadOfNak, this.config)
      : this.judgeAsClient(options);
  }

  private judgeAsServer(
    options: readonly CpOption[],
    rejectInsteadOfNak: boolean,
    config: Extract<IpcpConfig, { role: 'server' }>,
  ): Verdict {
    const assigned = config.assignPeerAddress();
    if (assigned === undefined) return { kind: 'fail', reason: 'IPCP: no address available for the peer' };
    const naks: CpOption[] = [];
    const nakked: CpOption[] = [];
    const rejects: CpOption[] = [];
    let sawAddress = false;
    for (const o of options) {
      if (o.type === IPCP_OPTION.IP_ADDRESS) {
        if (o.data.length !== 4) {
          rejects.push(o);
          continue;
        }
        sawAddress = true;
        if (bytesToIpv4(o.data) === assigned) this.peerAddress = assigned;
        else {
          naks.push(addressOption(IPCP_OPTION.IP_ADDRESS, assigned));
          nakked.push(o);
        }
        continue;
      }
      const ns = NAME_SERVERS.find((n) => n.type === o.type);
      const configured = ns ? (ns.kind === 'dns' ? config.dns : config.wins)?.[ns.index] : undefined;
      if (!ns || configured === undefined || o.data.length !== 4) {
        rejects.push(o);
        continue;
      }
      if (bytesToIpv4(o.data) !== configured) {
        naks.push(addressOption(o.type, configured));
        nakked.push(o);
      }
    }
    if (rejects.length > 0) return { kind: 'reject', options: rejects };
    // RFC 1332 section 3.3: an address we must give is appended to the Nak when the peer did not ask.
    if (!sawAddress && !rejectInsteadOfNak) naks.push(addressOption(IPCP_OPTION.IP_ADDRESS, assigned));
    if (naks.length > 0) {
      if (!rejectInsteadOfNak) return { kind: 'nak', options: naks };
      if (nakked.length > 0) return { kind: 'reject', options: nakked };
    }
    return { kind: 'ack' };
  }

  private judgeAsClient(options: readonly CpOption[]): Verdict {
    const rejects: CpOption[] = [];
    for (const o of options) {
      // The server's own address is its business; one that asks us for an address (0.0.0.0) gets none.
      if (o.type === IPCP_OPTION.IP_ADDRESS && o.data.length === 4 && bytesToIpv4(o.data) !== ZERO) {
        this.peerAddress = bytesToIpv4(o.data);
      } else rejects.push(o);
    }
    return rejects.length > 0 ? { kind: 'reject', options: rejects } : { kind: 'ack' };
  }

  applyNak(options: readonly CpOption[]): ReplyOutcome {
    for (const o of options) {
      if (o.data.length !== 4) return 'invalid';
      if (this.config.role === 'server') continue; // our address is configured, not negotiable
      const value = bytesToIpv4(o.data);
      if (o.type === IPCP_OPTION.IP_ADDRESS) {
        if (value !== ZERO) this.ourAddress = value;
        continue;
      }
      const ns = NAME_SERVERS.find((n) => n.type === o.type);
      if (!ns) continue;
      const list = ns.kind === 'dns' ? this.wantDns : this.wantWins;
      if (list[ns.index] !== undefined) list[ns.index] = value;
    }
    return 'ok';
  }

  applyReject(options: readonly CpOption[]): ReplyOutcome {
    for (const o of options) {
      if (o.type === IPCP_OPTION.IP_ADDRESS) {
        if (this.config.role === 'client' && this.ourAddress === ZERO) {
          return { fail: 'IPCP: the server will not assign us an address' };
        }
        this.addressRejected = true;
        continue;
      }
      const ns = NAME_SERVERS.find((n) => n.type === o.type);
      if (!ns || this.config.role === 'server') return 'invalid';
      (ns.kind === 'dns' ? this.wantDns : this.wantWins)[ns.index] = undefined;
    }
    return 'ok';
  }
}

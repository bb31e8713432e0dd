/**
 * IPv6CP options (RFC 5072 section 4): the Interface-Identifier each end uses to form its link-local
 * address. A zero or colliding identifier is Nak'd with a fresh random one (section 4.1); IPv6 header
 * compression (option 2) is Rejected.
 */
import type { Rng } from '../util/clock.js';
import type { Negotiator, ReplyOutcome, Verdict } from './negotiator.js';
import type { CpOption } from './packet.js';

export const IPV6CP_OPTION = { INTERFACE_IDENTIFIER: 1, IPV6_COMPRESSION_PROTOCOL: 2 } as const;

const ZERO_ID = Buffer.alloc(8);

export interface Ipv6cpNegotiated {
  readonly localInterfaceId: Buffer;
  readonly peerInterfaceId: Buffer;
}

/** fe80::/64 plus an interface identifier (RFC 5072 section 5). */
export function linkLocalAddress(interfaceId: Uint8Array): string {
  const groups: string[] = [];
  for (let i = 0; i < 8; i += 2) groups.push(((interfaceId[i] << 8) | interfaceId[i + 1]).toString(16));
  return `fe80::${groups.join(':')}`;
}

export class Ipv6cpOptions implements Negotiator {
  private ourId: Buffer = ZERO_ID;
  private idRejected = false;
  private peerId: Buffer = ZERO_ID;

  constructor(private readonly rng: Rng) {}

  get negotiated(): Ipv6cpNegotiated {
    return { localInterfaceId: this.ourId, peerInterfaceId: this.peerId };
  }

  resetRequest(): void {
    this.idRejected = false;
    this.ourId = this.freshId(this.peerId);
  }

  buildRequest(): CpOption[] {
    return this.idRejected ? [] : [{ type: IPV6CP_OPTION.INTERFACE_IDENTIFIER, data: this.ourId }];
  }

  judgeRequest(options: readonly CpOption[], rejectInsteadOfNak: boolean): Verdict {
    const rejects: CpOption[] = [];
    const naks: CpOption[] = [];
    const nakked: CpOption[] = [];
    for (const o of options) {
      if (o.type !== IPV6CP_OPTION.INTERFACE_IDENTIFIER || o.data.length !== 8) {
        rejects.push(o);
        continue;
      }
      if (o.data.equals(ZERO_ID) || o.data.equals(this.ourId)) {
        naks.push({ type: o.type, data: this.freshId(o.data) });
        nakked.push(o);
      } else this.peerId = Buffer.from(o.data);
    }
    if (rejects.length > 0) return { kind: 'reject', options: rejects };
    if (naks.length > 0) {
      return rejectInsteadOfNak ? { kind: 'reject', options: nakked } : { kind: 'nak', options: naks };
    }
    return { kind: 'ack' };
  }

  applyNak(options: readonly CpOption[]): ReplyOutcome {
    for (const o of options) {
      if (o.type !== IPV6CP_OPTION.INTERFACE_IDENTIFIER) continue;
      if (o.data.length !== 8) return 'invalid';
      this.ourId =
        o.data.equals(ZERO_ID) || o.data.equals(this.peerId) ? this.freshId(o.data) : Buffer.from(o.data);
    }
    return 'ok';
  }

  applyReject(options: readonly CpOption[]): ReplyOutcome {
    for (const o of options) {
      if (o.type !== IPV6CP_OPTION.INTERFACE_IDENTIFIER) return 'invalid';
      this.idRejected = true;
    }
    return 'ok';
  }

  private freshId(avoid: Uint8Array): Buffer {
    for (let i = 0; i < 8; i++) {
      const id = Buffer.from(this.rng(8));
      if (!id.equals(ZERO_ID) && !id.equals(avoid) && !id.equals(this.peerId)) return id;
    }
    const id = Buffer.from(avoid);
    id[7] ^= 0x01;
    id[0] |= 0x02;
    return id;
  }
}

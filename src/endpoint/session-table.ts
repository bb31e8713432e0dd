/**
 * The two lookups of the data path (wireguard-go's indextable and allowedips): by the L2TP IDs a received
 * data message carries, and by the inner IPv4 destination of a packet read from the TUN.
 */
import { l2tpKey, type VpnSession } from './session.js';

export class SessionTable {
  private readonly byL2tp = new Map<number, VpnSession>();
  private readonly byInner = new Map<number, VpnSession>();

  get size(): number {
    return this.byL2tp.size;
  }

  add(s: VpnSession): void {
    this.byL2tp.set(l2tpKey(s.tunnelId, s.sessionId), s);
  }

  remove(s: VpnSession): void {
    this.byL2tp.delete(l2tpKey(s.tunnelId, s.sessionId));
    this.unbindInner(s);
  }

  byL2tpIds(tunnelId: number, sessionId: number): VpnSession | undefined {
    return this.byL2tp.get(l2tpKey(tunnelId, sessionId));
  }

  /** Routes `address` (host-order) to `s` once IPCP assigned it. */
  bindInner(s: VpnSession, address: number): void {
    this.unbindInner(s);
    s.innerAddress = address;
    this.byInner.set(address, s);
  }

  unbindInner(s: VpnSession): void {
    if (s.innerAddress !== 0 && this.byInner.get(s.innerAddress) === s) this.byInner.delete(s.innerAddress);
  }

  byInnerAddress(address: number): VpnSession | undefined {
    return this.byInner.get(address);
  }

  all(): IterableIterator<VpnSession> {
    return this.byL2tp.values();
  }
}

/**
 * PPP's address source (IPCP, RFC 1332 section 3.3) over the address pool: each address PPP hands out is a
 * lease, kept by address so that the session's `release` returns exactly that lease.
 */
import type { AddressSource } from '../ppp/session.js';
import { type Logger, silentLogger } from '../util/log.js';
import type { AddressPool, Lease } from './pool.js';

export class PoolAddressSource implements AddressSource {
  private readonly leases = new Map<string, Lease>();

  constructor(
    readonly pool: AddressPool,
    private readonly log: Logger = silentLogger,
  ) {}

  allocate(user: string): string | undefined {
    try {
      const lease = this.pool.lease(user);
      this.leases.set(lease.address, lease);
      return lease.address;
    } catch (err) {
      // Pool exhausted, or the user's static address is already in use by another session.
      this.log.warn({ user, err: (err as Error).message }, 'no address for session');
      return undefined;
    }
  }

  release(address: string): void {
    const lease = this.leases.get(address);
    if (lease === undefined) return;
    this.leases.delete(address);
    this.pool.release(lease);
  }
}

/**
 * The address pool: ranges and CIDR blocks, exclusion of the server's own address, static addresses per
 * user, no duplicates, release on session end (and stale releases harmless), exhaustion, and a
 * property check that no two live leases ever share an address.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AddressPool,
  type Lease,
  PoolConfigError,
  PoolExhaustedError,
  parseRange,
  StaticAddressInUseError,
} from '../../src/server/pool.js';

describe('parseRange', () => {
  it('reads hwdsl2-style ranges inclusively', () => {
    const r = parseRange('192.168.42.10-192.168.42.250');
    expect(r.last - r.first + 1).toBe(241);
  });
  it('drops the network and broadcast addresses of a CIDR block', () => {
    const r = parseRange('10.9.0.0/29');
    expect(r.last - r.first + 1).toBe(6);
    expect(parseRange('10.9.0.4/31')).toEqual({ first: 0x0a090004, last: 0x0a090005 });
  });
  it('rejects nonsense with a PoolConfigError', () => {
    for (const bad of ['10.0.0.9-10.0.0.1', '10.0.0.1', '10.0.0.300-10.0.1.1', '10.0.0.0/33', 'a-b']) {
      expect(() => parseRange(bad), bad).toThrow(PoolConfigError);
    }
  });
});

describe('AddressPool', () => {
  it('hands out distinct addresses in order and never the excluded server address', () => {
    const pool = new AddressPool({ range: '192.168.42.0/29', exclude: ['192.168.42.1'] });
    expect(pool.size).toBe(6);
    expect(pool.available).toBe(5);
    const got = Array.from({ length: 5 }, (_, i) => pool.lease(`u${i}`).address);
    expect(got).toEqual(['192.168.42.2', '192.168.42.3', '192.168.42.4', '192.168.42.5', '192.168.42.6']);
    expect(() => pool.lease('late')).toThrow(PoolExhaustedError);
    expect(pool.available).toBe(0);
  });

  it('frees a lease on release and reuses it only after the others (round robin)', () => {
    const pool = new AddressPool({ range: '10.0.0.10-10.0.0.12' });
    const a = pool.lease('a');
    const b = pool.lease('b');
    expect(pool.release(a)).toBe(true);
    expect(pool.lease('c').address).toBe('10.0.0.12');
    expect(pool.lease('d').address).toBe('10.0.0.10');
    expect(pool.holder('10.0.0.11')).toBe(b);
    expect(pool.leased).toBe(3);
  });

  it('a second release of the same lease does not free the address now held by someone else', () => {
    const pool = new AddressPool({ range: '10.0.0.10-10.0.0.10' });
    const first = pool.lease('a');
    expect(pool.release(first)).toBe(true);
    const second = pool.lease('b');
    expect(second.address).toBe(first.address);
    expect(pool.release(first)).toBe(false);
    expect(pool.holder(second.address)).toBe(second);
    expect(() => pool.lease('c')).toThrow(PoolExhaustedError);
  });

  it('gives a user their static address, inside or outside the range, and to no one else', () => {
    const pool = new AddressPool({
      range: '192.168.42.10-192.168.42.12',
      exclude: ['192.168.42.1'],
      network: '192.168.42.0/24',
      staticAddresses: { alice: '192.168.42.2', bob: '192.168.42.11' },
    });
    expect(pool.available).toBe(2); // .11 is bob's alone
    expect(pool.lease('alice')).toMatchObject({ address: '192.168.42.2', static: true, user: 'alice' });
    const dyn = [pool.lease('x').address, pool.lease('y').address];
    expect(dyn).toEqual(['192.168.42.10', '192.168.42.12']);
    expect(() => pool.lease('z')).toThrow(PoolExhaustedError);
    const b = pool.lease('bob');
    expect(b.address).toBe('192.168.42.11');
    // A second simultaneous session of bob cannot have the same address.
    expect(() => pool.lease('bob')).toThrow(StaticAddressInUseError);
    pool.release(b);
    expect(pool.lease('bob').address).toBe('192.168.42.11');
    // Releasing a static lease never makes its address dynamic.
    expect(pool.available).toBe(0);
  });

  it('refuses bad static configurations', () => {
    expect(
      () =>
        new AddressPool({ range: '10.0.0.10-10.0.0.20', staticAddresses: { a: '10.0.0.5', b: '10.0.0.5' } }),
    ).toThrow(/both a and b/);
    expect(
      () =>
        new AddressPool({
          range: '10.0.0.10-10.0.0.20',
          exclude: ['10.0.0.1'],
          staticAddresses: { a: '10.0.0.1' },
        }),
    ).toThrow(/reserved/);
    expect(
      () =>
        new AddressPool({
          range: '10.0.0.10-10.0.0.20',
          network: '10.0.0.0/24',
          staticAddresses: { a: '10.1.0.1' },
        }),
    ).toThrow(/outside 10.0.0.0\/24/);
    expect(() => new AddressPool({ range: '10.0.0.0/8' })).toThrow(/larger than/);
  });

  it('never has two live leases on one address, whatever the order of leases and releases', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constant(-1), fc.nat(20)), { maxLength: 200 }), (ops) => {
        const pool = new AddressPool({
          range: '10.1.0.0/28',
          exclude: ['10.1.0.1'],
          staticAddresses: { s0: '10.1.0.3', s1: '10.1.0.200' },
        });
        const live: Lease[] = [];
        for (const op of ops) {
          if (op === -1 || live.length > 12) {
            const l = live.shift();
            if (l) expect(pool.release(l)).toBe(true);
            continue;
          }
          const user = op < 2 ? `s${op}` : `u${op}`;
          try {
            live.push(pool.lease(user));
          } catch (err) {
            expect(err instanceof PoolExhaustedError || err instanceof StaticAddressInUseError).toBe(true);
          }
        }
        const addrs = live.map((l) => l.address);
        expect(new Set(addrs).size).toBe(addrs.length);
        expect(addrs).not.toContain('10.1.0.1');
        for (const l of live) if (!l.static) expect(l.address).not.toBe('10.1.0.3');
        expect(pool.leased).toBe(live.length);
        expect(pool.available + live.filter((l) => !l.static).length).toBe(13 - 1); // 14 hosts − .1 − .3
      }),
    );
  });
});

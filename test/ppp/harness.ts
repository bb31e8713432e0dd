/**
 * Drives a PPP client and server in one process over an in-memory link with a fake clock: frames are
 * delivered in order (optionally dropped), `verify` actions go to a real Authenticator, and time jumps
 * to the next deadline when nothing else is pending.
 */
import type { Authenticator } from '../../src/aaa/authenticator.js';
import { LocalAuthenticator } from '../../src/aaa/local-authenticator.js';
import {
  type AddressSource,
  type PppAction,
  type PppClientConfig,
  type PppServerConfig,
  PppSession,
} from '../../src/ppp/session.js';
import { ManualClock, type Rng } from '../../src/util/clock.js';

/** Deterministic bytes (an LCG), so every run negotiates the same magic numbers and challenges. */
export function seededRng(seed: number): Rng {
  let s = seed >>> 0;
  return (n) => {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      b[i] = s >>> 24;
    }
    return b;
  };
}

/** An address pool that records what is outstanding, to prove nothing leaks. */
export class TestPool implements AddressSource {
  readonly outstanding = new Set<string>();
  allocations = 0;
  constructor(private readonly free: string[] = ['10.99.0.10', '10.99.0.11', '10.99.0.12']) {}
  allocate(_user: string): string | undefined {
    const a = this.free.find((x) => !this.outstanding.has(x));
    if (a !== undefined) {
      this.outstanding.add(a);
      this.allocations++;
    }
    return a;
  }
  release(address: string): void {
    if (!this.outstanding.delete(address)) throw new Error(`released ${address} twice or never allocated`);
  }
}

export const USERS_YAML = `users:
  alice:
    password: wonderland
  bob:
    nt-hash: 8846F7EAEE8FB117AD06BDD830B7586C # NtPasswordHash("password")
  carol:
    password: secret
    address: 10.99.1.7
`;

type Side = 'server' | 'client';

export interface PairOptions {
  server?: Partial<Omit<PppServerConfig, 'role'>>;
  client?: Partial<Omit<PppClientConfig, 'role'>>;
  authenticator?: Authenticator;
  /** Return true to lose a frame on the wire. */
  drop?: (from: Side, frame: Buffer) => boolean;
}

export class Pair {
  readonly clock = new ManualClock(0);
  readonly pool = new TestPool();
  readonly server: PppSession;
  readonly client: PppSession;
  readonly events: Record<Side, PppAction[]> = { server: [], client: [] };
  readonly wire: { from: Side; frame: Buffer }[] = [];
  private readonly queue: { to: Side; frame: Buffer }[] = [];
  private readonly inflight: Promise<void>[] = [];
  private readonly authenticator: Authenticator;

  constructor(private readonly opts: PairOptions = {}) {
    this.authenticator = opts.authenticator ?? LocalAuthenticator.fromText(USERS_YAML, 'users.yaml');
    this.server = new PppSession({
      role: 'server',
      localAddress: '10.99.0.1',
      dns: ['10.99.0.53', '10.99.0.54'],
      addresses: this.pool,
      rng: seededRng(1),
      ...opts.server,
    });
    this.client = new PppSession({
      role: 'client',
      user: 'alice',
      password: 'wonderland',
      rng: seededRng(2),
      ...opts.client,
    });
  }

  session(side: Side): PppSession {
    return side === 'server' ? this.server : this.client;
  }

  start(): void {
    this.handle('server', this.server.start(this.clock.now()));
    this.handle('client', this.client.start(this.clock.now()));
  }

  of<T extends PppAction['type']>(side: Side, type: T): Extract<PppAction, { type: T }>[] {
    return this.events[side].filter((e): e is Extract<PppAction, { type: T }> => e.type === type);
  }

  handle(side: Side, actions: readonly PppAction[]): void {
    const other: Side = side === 'server' ? 'client' : 'server';
    for (const a of actions) {
      if (a.type === 'send') {
        this.wire.push({ from: side, frame: a.frame });
        if (!this.opts.drop?.(side, a.frame)) this.queue.push({ to: other, frame: a.frame });
        continue;
      }
      this.events[side].push(a);
      if (a.type === 'verify') {
        const session = this.session(side);
        this.inflight.push(
          this.authenticator.verify(a.request).then((r) => {
            this.handle(side, session.verified(a.token, r, this.clock.now()));
          }),
        );
      }
    }
  }

  /** Runs until `done()` holds or nothing is left to happen before `limitMs` of fake time. */
  async run(done: () => boolean, limitMs = 120_000): Promise<void> {
    for (let steps = 0; steps < 100_000; steps++) {
      const next = this.queue.shift();
      if (next) {
        this.handle(next.to, this.session(next.to).receive(next.frame, this.clock.now()));
        continue;
      }
      if (this.inflight.length > 0) {
        await Promise.all(this.inflight.splice(0));
        continue;
      }
      if (done()) return;
      const deadlines = [this.server.deadline(), this.client.deadline()].filter(
        (d): d is number => d !== undefined,
      );
      if (deadlines.length === 0) return;
      const d = Math.min(...deadlines);
      if (d > limitMs) return;
      if (d > this.clock.now()) this.clock.advance(d - this.clock.now());
      this.handle('server', this.server.tick(this.clock.now()));
      this.handle('client', this.client.tick(this.clock.now()));
    }
    throw new Error('harness: too many steps');
  }

  bothUp(): boolean {
    return this.of('server', 'up').length > 0 && this.of('client', 'up').length > 0;
  }

  bothFinished(): boolean {
    return this.of('server', 'finished').length > 0 && this.of('client', 'finished').length > 0;
  }
}

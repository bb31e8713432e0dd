/**
 * An in-process link between IKE engines: send actions are delivered to the engine owning the destination
 * address, through a filter that can drop, duplicate or rewrite datagrams. A manual clock drives timers.
 */
import { createHash } from 'node:crypto';
import type { IkeAction, InstallSaAction, SendAction } from '../../src/ike/actions.js';
import type { IkeConfigInput } from '../../src/ike/config.js';
import { IkeEngine } from '../../src/ike/engine.js';
import { ManualClock, type Rng } from '../../src/util/clock.js';

/** Deterministic bytes from a seed (counter-mode SHA-256), so failures reproduce. */
export function seededRng(seed: string): Rng {
  let counter = 0;
  return (n) => {
    // Math.floor mirrors randomBytes() on a fractional count (src/crypto asks for 420/8 bytes for group 15).
    const out = Buffer.alloc(Math.floor(n));
    let off = 0;
    while (off < out.length) {
      const block = createHash('sha256').update(`${seed}:${counter++}`).digest();
      off += block.copy(out, off);
    }
    return out;
  };
}

/** Decides a datagram's fate: delivered, lost, delivered twice, or replaced by other bytes. */
export type Filter = (a: SendAction, index: number) => 'pass' | 'drop' | 'dup' | Buffer;

export class Link {
  readonly clock = new ManualClock(1000);
  readonly engines = new Map<string, IkeEngine>();
  readonly log: IkeAction[] = [];
  readonly sent: SendAction[] = [];
  filter: Filter = () => 'pass';
  /** Source NAT: private address → public address, with a port per private endpoint. */
  private readonly nats = new Map<string, string>();
  private readonly natOut = new Map<string, number>();
  private readonly natIn = new Map<string, { address: string; port: number }>();
  private nextNatPort = 40000;

  /** Puts the engine at `privateAddress` behind a NAT that rewrites its source to `publicAddress`. */
  natBehind(privateAddress: string, publicAddress: string): void {
    this.nats.set(privateAddress, publicAddress);
  }

  private translate(a: SendAction): {
    from: { address: string; port: number };
    to: { address: string; port: number };
    dst: string;
  } {
    let from = a.from;
    const pub = this.nats.get(a.from.address);
    if (pub) {
      const k = `${a.from.address}:${a.from.port}`;
      let port = this.natOut.get(k);
      if (port === undefined) {
        port = this.nextNatPort++;
        this.natOut.set(k, port);
        this.natIn.set(`${pub}:${port}`, a.from);
      }
      from = { address: pub, port };
    }
    const back = this.natIn.get(`${a.to.address}:${a.to.port}`);
    const to = back ?? a.to;
    return { from, to, dst: to.address };
  }

  add(address: string, engine: IkeEngine): IkeEngine {
    this.engines.set(address, engine);
    return engine;
  }

  /** Delivers actions until the network is quiet; returns every non-send action seen. */
  run(actions: readonly IkeAction[], maxSteps = 10_000): IkeAction[] {
    const queue = [...actions];
    const seen: IkeAction[] = [];
    let steps = 0;
    while (queue.length > 0 && steps++ < maxSteps) {
      const a = queue.shift()!;
      if (a.type !== 'send') {
        seen.push(a);
        this.log.push(a);
        continue;
      }
      const verdict = this.filter(a, this.sent.length);
      this.sent.push(a);
      if (verdict === 'drop') continue;
      const t = this.translate(a);
      const dst = this.engines.get(t.dst);
      if (!dst) continue;
      const data = Buffer.isBuffer(verdict) ? verdict : a.data;
      const times = verdict === 'dup' ? 2 : 1;
      for (let i = 0; i < times; i++)
        queue.push(...dst.receive(Buffer.from(data), t.from, t.to, this.clock.now()));
    }
    return seen;
  }

  /** Advances the clock to each engine deadline in turn (up to `ms`), running whatever the timers emit. */
  advance(ms: number): IkeAction[] {
    const end = this.clock.now() + ms;
    const seen: IkeAction[] = [];
    for (;;) {
      let next: number | undefined;
      for (const e of this.engines.values()) {
        const d = e.deadline();
        if (d !== undefined && (next === undefined || d < next)) next = d;
      }
      if (next === undefined || next > end) break;
      if (next > this.clock.now()) this.clock.advance(next - this.clock.now());
      for (const e of this.engines.values()) seen.push(...this.run(e.tick(this.clock.now())));
    }
    if (end > this.clock.now()) this.clock.advance(end - this.clock.now());
    return seen;
  }
}

export const SERVER = { address: '192.0.2.1', port: 500 };
export const CLIENT = { address: '198.51.100.7', port: 500 };

export function pair(
  server: Partial<IkeConfigInput> = {},
  client: Partial<IkeConfigInput> = {},
  seed = 'ike',
): { link: Link; responder: IkeEngine; initiator: IkeEngine } {
  const link = new Link();
  const responder = link.add(
    SERVER.address,
    new IkeEngine({ psk: 'secret', rng: seededRng(`${seed}-r`), ...server }),
  );
  const initiator = link.add(
    CLIENT.address,
    new IkeEngine({ psk: 'secret', rng: seededRng(`${seed}-i`), ...client }),
  );
  return { link, responder, initiator };
}

export function installs(actions: readonly IkeAction[]): InstallSaAction[] {
  return actions.filter((a): a is InstallSaAction => a.type === 'install-sa');
}

/**
 * Two network namespaces joined by a veth pair, for the xl2tpd interop test. Names are unique per process
 * (`l2s-l2tp-<pid>-…`); `destroy()` never throws and is called from afterAll even when setup failed.
 */
import { execFileSync } from 'node:child_process';

export const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

export class NetnsPair {
  readonly a: string;
  readonly b: string;
  private readonly vethA: string;
  private readonly vethB: string;

  constructor(
    purpose: string,
    readonly addrA: string,
    readonly addrB: string,
  ) {
    this.a = `l2s-${purpose}-${process.pid}-a`;
    this.b = `l2s-${purpose}-${process.pid}-b`;
    this.vethA = `l2s${process.pid}a`.slice(0, 15);
    this.vethB = `l2s${process.pid}b`.slice(0, 15);
  }

  create(): void {
    ip('netns', 'add', this.a);
    ip('netns', 'add', this.b);
    ip('link', 'add', this.vethA, 'type', 'veth', 'peer', 'name', this.vethB);
    ip('link', 'set', this.vethA, 'netns', this.a);
    ip('link', 'set', this.vethB, 'netns', this.b);
    ip('-n', this.a, 'addr', 'add', `${this.addrA}/24`, 'dev', this.vethA);
    ip('-n', this.b, 'addr', 'add', `${this.addrB}/24`, 'dev', this.vethB);
    for (const [ns, dev] of [
      [this.a, this.vethA],
      [this.b, this.vethB],
    ]) {
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      ip('-n', ns, 'link', 'set', dev, 'up');
    }
  }

  destroy(): void {
    for (const ns of [this.a, this.b]) {
      try {
        ip('netns', 'del', ns);
      } catch {
        // never created, or already gone
      }
    }
  }
}

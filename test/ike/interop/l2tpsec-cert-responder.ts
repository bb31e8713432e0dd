/**
 * `l2tpsec-cert-responder.mjs` (l2tpsec's IKEv1 responder with X.509 credentials) as a process inside a
 * test namespace, with its JSON event lines collected as `L2tpsecResponder` does for the PSK dev responder.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Netns } from '../../support/netns.js';
import { ensureDevResponderBuilt, type ResponderEvent } from './l2tpsec-responder.js';

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'l2tpsec-cert-responder.mjs');

export interface CertFiles {
  readonly cert: string;
  readonly key: string;
  readonly ca: string;
}

export class CertResponder {
  readonly events: ResponderEvent[] = [];
  private output = '';

  private constructor(private readonly child: ReturnType<Netns['spawn']>) {
    let pending = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      this.output += chunk;
      pending += chunk;
      for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
        this.line(pending.slice(0, nl));
        pending = pending.slice(nl + 1);
      }
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      this.output += chunk;
    });
  }

  private line(text: string): void {
    if (!text.startsWith('{')) return;
    try {
      const v: unknown = JSON.parse(text);
      if (v && typeof v === 'object' && typeof (v as { event?: unknown }).event === 'string') {
        this.events.push(v as ResponderEvent);
      }
    } catch {
      // a log line that merely starts with a brace
    }
  }

  /** Starts it in `ns` on `address`; resolves once UDP 500 and 4500 are bound there. */
  static async start(ns: Netns, address: string, files: CertFiles): Promise<CertResponder> {
    ensureDevResponderBuilt();
    const child = ns.spawn(
      [
        process.execPath,
        SCRIPT,
        '--address',
        address,
        '--psk',
        'unused-psk-for-cert-tests',
        '--cert',
        files.cert,
        '--key',
        files.key,
        '--ca',
        files.ca,
      ],
      { env: { ...process.env, L2TPSEC_LOG_LEVEL: process.env.L2TPSEC_LOG_LEVEL ?? 'debug' } },
    );
    const r = new CertResponder(child);
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (!r.alive) throw new Error(`cert responder exited:\n${r.output}`);
      const ss = await ns.exec(['ss', '-Hnul']);
      if (ss.stdout.includes(`${address}:500 `) && ss.stdout.includes(`${address}:4500 `)) return r;
      if (Date.now() > deadline) {
        await r.stop();
        throw new Error(`cert responder did not bind ${address}:500/4500:\n${r.output}`);
      }
      await new Promise((res) => setTimeout(res, 100));
    }
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  eventsOf(event: string): ResponderEvent[] {
    return this.events.filter((e) => e.event === event);
  }

  /** Polls until `count` events named `event` were printed, or the timeout passes. */
  async waitFor(event: string, count: number, timeoutMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.eventsOf(event).length < count) {
      if (Date.now() > deadline) return false;
      await new Promise((res) => setTimeout(res, 50));
    }
    return true;
  }

  outputTail(lines = 60): string {
    return this.output.split('\n').slice(-lines).join('\n');
  }

  async stop(): Promise<void> {
    const c = this.child;
    if (!this.alive) return;
    await new Promise<void>((done) => {
      const timer = setTimeout(() => c.kill('SIGKILL'), 3000);
      c.once('exit', () => {
        clearTimeout(timer);
        done();
      });
      c.kill('SIGTERM');
    });
  }
}

/**
 * xl2tpd (Debian package) as LAC against the l2tpsec LNS over plain UDP between two network namespaces.
 * This kernel has no PPP, so xl2tpd's pppd exits as soon as the session is up: each case checks the
 * SCCRQ → SCCRP → SCCCN → ICRQ → ICRP → ICCN exchange, the CDN that follows, and a clean StopCCN.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isRoot, NetnsPair } from './support/netns.js';

const LNS_ADDR = '10.250.1.1';
const LAC_ADDR = '10.250.1.2';
const RUNNER_DIR = join(process.cwd(), '.cache', 'l2tp-runner');
const RUNNER = join(RUNNER_DIR, 'test', 'l2tp', 'support', 'lns-runner.js');

type Line = Record<string, unknown>;

/** A process whose stdout is JSON lines (the LNS runner) or plain text (xl2tpd), with waiting helpers. */
class Proc {
  readonly lines: Line[] = [];
  text = '';
  private waiters: (() => void)[] = [];

  constructor(readonly child: ChildProcess) {
    let partial = '';
    const onData = (d: Buffer): void => {
      this.text += d.toString();
      partial += d.toString();
      const parts = partial.split('\n');
      partial = parts.pop() ?? '';
      for (const p of parts) {
        if (p.startsWith('{')) this.lines.push(JSON.parse(p) as Line);
      }
      for (const w of this.waiters) w();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
  }

  async waitFor(pred: (l: Line) => boolean, what: string, timeoutMs = 20_000): Promise<Line> {
    return this.until(() => this.lines.find(pred), what, timeoutMs);
  }

  async waitForText(text: string, timeoutMs = 20_000): Promise<void> {
    await this.until(() => (this.text.includes(text) ? {} : undefined), `"${text}"`, timeoutMs);
  }

  private async until(find: () => Line | undefined, what: string, timeoutMs: number): Promise<Line> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = find();
      if (hit) return hit;
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${what}; output:\n${this.text.slice(-4000)}`);
      }
      await new Promise<void>((r) => {
        const t = setTimeout(r, 200);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
      this.waiters = [];
    }
  }

  stop(): void {
    if (this.child.exitCode === null && this.child.pid) {
      try {
        process.kill(this.child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
  }
}

interface Case {
  name: string;
  lnsSecret?: string;
  xl2tpd: { challenge: boolean; hidden: boolean; secret?: string };
  /** Who ends the tunnel after the CDN. */
  close: 'lac' | 'lns';
}

const CASES: Case[] = [
  { name: 'plain', xl2tpd: { challenge: false, hidden: false }, close: 'lac' },
  {
    name: 'challenge = yes',
    lnsSecret: 's3cret',
    xl2tpd: { challenge: true, hidden: false, secret: 's3cret' },
    close: 'lns',
  },
  {
    name: 'challenge = yes, hidden bit = yes',
    lnsSecret: 's3cret',
    xl2tpd: { challenge: true, hidden: true, secret: 's3cret' },
    close: 'lac',
  },
];

const msg = (dir: string, type: string) => (l: Line) => l.dir === dir && l.type === type;

describe.skipIf(!isRoot)(
  'xl2tpd LAC ↔ l2tpsec LNS over UDP between two namespaces (needs root: skipped otherwise)',
  () => {
    const net = new NetnsPair('l2tp', LNS_ADDR, LAC_ADDR);
    let dir = '';
    const procs: Proc[] = [];

    beforeAll(() => {
      // The runner is compiled with the project's own compiler so it runs under plain node in the namespace.
      // Type errors elsewhere in the tree (others' work in progress) do not stop tsc emitting; only a missing
      // output fails the setup.
      rmSync(RUNNER_DIR, { recursive: true, force: true });
      const tsc = spawnSync(
        'npx',
        [
          'tsc',
          '--outDir',
          RUNNER_DIR,
          '--rootDir',
          '.',
          '--module',
          'nodenext',
          '--moduleResolution',
          'nodenext',
          '--target',
          'es2022',
          '--strict',
          '--skipLibCheck',
          '--types',
          'node',
          '--sourceMap',
          'false',
          'test/l2tp/support/lns-runner.ts',
        ],
        { encoding: 'utf8' },
      );
      if (!existsSync(RUNNER))
        throw new Error(`could not compile the LNS runner:\n${tsc.stdout}${tsc.stderr}`);
      if (tsc.status !== 0)
        process.stderr.write(`lns-runner: tsc reported errors but emitted:\n${tsc.stdout}`);
      dir = mkdtempSync(join(tmpdir(), 'l2s-xl2tpd-'));
      net.destroy();
      net.create();
    });

    afterEach(async () => {
      for (const p of procs.splice(0)) p.stop();
      await new Promise((r) => setTimeout(r, 300));
    });

    afterAll(() => {
      for (const p of procs.splice(0)) p.stop();
      net.destroy();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    function startLns(c: Case): Proc {
      const opts = JSON.stringify({ bind: LNS_ADDR, secret: c.lnsSecret, closeHold: 2000 });
      const p = new Proc(
        spawn('ip', ['netns', 'exec', net.a, process.execPath, RUNNER, opts], {
          stdio: ['pipe', 'pipe', 'pipe'],
        }),
      );
      procs.push(p);
      return p;
    }

    function startXl2tpd(c: Case): { proc: Proc; control: string } {
      const sub = mkdtempSync(join(dir, 'lac-'));
      const control = join(sub, 'l2tp-control');
      writeFileSync(join(sub, 'l2tp-secrets'), `* * ${c.xl2tpd.secret ?? 'unused'}\n`, { mode: 0o600 });
      writeFileSync(join(sub, 'options'), 'noauth\n');
      writeFileSync(
        join(sub, 'xl2tpd.conf'),
        [
          '[global]',
          'port = 1701',
          `listen-addr = ${LAC_ADDR}`,
          'access control = no',
          `auth file = ${join(sub, 'l2tp-secrets')}`,
          'debug tunnel = yes',
          '',
          '[lac l2tpsec]',
          `lns = ${LNS_ADDR}`,
          'redial = no',
          'autodial = yes',
          `challenge = ${c.xl2tpd.challenge ? 'yes' : 'no'}`,
          `hidden bit = ${c.xl2tpd.hidden ? 'yes' : 'no'}`,
          'require authentication = no',
          `pppoptfile = ${join(sub, 'options')}`,
          'length bit = yes',
          '',
        ].join('\n'),
      );
      const args = ['-D', '-c', join(sub, 'xl2tpd.conf'), '-p', join(sub, 'xl2tpd.pid'), '-C', control];
      const proc = new Proc(
        spawn('ip', ['netns', 'exec', net.b, 'xl2tpd', ...args], { stdio: ['ignore', 'pipe', 'pipe'] }),
      );
      procs.push(proc);
      return { proc, control };
    }

    for (const c of CASES) {
      it(`${c.name}: tunnel and session establish, CDN after pppd fails, clean StopCCN from the ${c.close.toUpperCase()}`, async () => {
        const lns = startLns(c);
        await lns.waitFor((l) => l.state === 'ready', 'LNS ready');
        const lac = startXl2tpd(c);

        const sccrq = await lns.waitFor(msg('rx', 'SCCRQ'), 'SCCRQ');
        const sccrp = await lns.waitFor(msg('tx', 'SCCRP'), 'SCCRP');
        const scccn = await lns.waitFor(msg('rx', 'SCCCN'), 'SCCCN');
        await lns.waitFor((l) => l.event === 'tunnel-up', 'tunnel-up');
        await lns.waitFor(msg('rx', 'ICRQ'), 'ICRQ');
        await lns.waitFor(msg('tx', 'ICRP'), 'ICRP');
        await lns.waitFor(msg('rx', 'ICCN'), 'ICCN');
        const up = await lns.waitFor((l) => l.event === 'session-up', 'session-up');
        // Tunnel authentication both ways when configured (section 5.1.1).
        expect(sccrq.challenge).toBe(c.xl2tpd.challenge);
        expect(sccrp.challengeResponse).toBe(c.xl2tpd.challenge);
        expect(sccrp.challenge).toBe(c.lnsSecret !== undefined);
        expect(scccn.challengeResponse).toBe(c.lnsSecret !== undefined);
        expect(sccrq.randomVector).toBe(c.xl2tpd.hidden);
        await lac.proc.waitForText('Connection established');
        await lac.proc.waitForText('Call established');

        // pppd has no /dev/ppp: xl2tpd clears the call.
        const cdn = await lns.waitFor(msg('rx', 'CDN'), 'CDN');
        expect(cdn.sessionId).toBe(up.sessionId);
        const down = await lns.waitFor((l) => l.event === 'session-down', 'session-down');
        expect(down.reason).toBe('peer');
        await lns.waitFor(
          (l) => l.state === 'counts' && l.sessions === 0 && l.tunnels === 1,
          'session freed',
        );

        if (c.close === 'lac') {
          writeFileSync(lac.control, 'd l2tpsec\n');
          const stop = await lns.waitFor(msg('rx', 'StopCCN'), 'StopCCN from xl2tpd');
          expect((stop.resultCode as { result: number }).result).toBe(1);
          const td = await lns.waitFor((l) => l.event === 'tunnel-down', 'tunnel-down');
          expect(td.reason).toBe('peer');
        } else {
          lns.child.stdin?.write('close\n');
          await lns.waitFor(msg('tx', 'StopCCN'), 'StopCCN to xl2tpd');
          await lns.waitFor((l) => l.event === 'tunnel-down' && l.reason === 'local', 'tunnel-down');
          await lac.proc.waitForText('Connection closed');
        }
        // Acknowledged StopCCN (ours) or the hold time (theirs): the tunnel is gone.
        await lns.waitFor((l) => l.state === 'counts' && l.tunnels === 0, 'tunnel freed', 10_000);
        lns.child.stdin?.write('counters\n');
        const counters = (await lns.waitFor((l) => l.state === 'counters', 'counters')).counters as Record<
          string,
          number
        >;
        expect(counters['protocol-error'] ?? 0).toBe(0);
        expect(counters['auth-failure'] ?? 0).toBe(0);
      });
    }

    it('xl2tpd with the wrong secret: no tunnel comes up and nothing is left behind', async () => {
      const c: Case = {
        name: 'wrong',
        lnsSecret: 's3cret',
        xl2tpd: { challenge: true, hidden: false, secret: 'other' },
        close: 'lns',
      };
      const lns = startLns(c);
      await lns.waitFor((l) => l.state === 'ready', 'LNS ready');
      startXl2tpd(c);
      await lns.waitFor(msg('tx', 'SCCRP'), 'SCCRP');
      await lns.waitFor(msg('rx', 'StopCCN'), 'StopCCN from xl2tpd (our response fails its check)');
      await lns.waitFor((l) => l.state === 'counts' && l.tunnels === 0, 'tunnel freed', 10_000);
      expect(lns.lines.some((l) => l.event === 'tunnel-up')).toBe(false);
    });
  },
);

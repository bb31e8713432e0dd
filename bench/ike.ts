/**
 * `l2tpsec bench ike`: full Main Mode + Quick Mode handshakes (9 messages, PSK, AES-128/SHA1, ESP
 * AES-128/SHA1) per second between an in-process initiator and responder, for ECP256 (19), MODP2048 (14)
 * and MODP1024 (2). The Diffie-Hellman share is measured separately (two key pairs and two shared
 * secrets per handshake) and subtracted to give the rest. Prints figures; asserts nothing.
 *
 * Two rates come out of the same loop. `handshakesPerSecond` charges both ends to one core (the
 * in-process pair). `responderHandshakesPerSecond` is the server's share alone: what one core running
 * only `l2tpsec server` spends per client, the initiator's work being done by the clients' machines. It
 * is the pair's CPU time scaled by the fraction of the loop's wall time spent inside the responder's
 * `receive` (spans timed with performance.now(), which costs far less than reading CPU time per call).
 */
import type { BenchOptions } from '../src/cli/bench.js';
import { generateDhKeyPair } from '../src/crypto/dh.js';
import type { DhGroupId } from '../src/crypto/registry.js';
import type { IkeAction } from '../src/ike/actions.js';
import { IkeEngine } from '../src/ike/engine.js';

const SERVER = { address: '192.0.2.1', port: 500 };
const CLIENT = { address: '198.51.100.7', port: 500 };

export interface IkeBenchResult {
  readonly group: DhGroupId;
  readonly handshakesPerSecond: number;
  readonly handshakes: number;
  /** CPU seconds spent in the handshakes (the rate is per CPU second: one core). */
  readonly seconds: number;
  readonly wallSeconds: number;
  readonly dhMsPerHandshake: number;
  readonly otherMsPerHandshake: number;
  /** Handshakes per CPU second counting only the responder's (server's) work. */
  readonly responderHandshakesPerSecond: number;
  /** The responder's CPU milliseconds per handshake. */
  readonly responderMsPerHandshake: number;
}

export interface BenchPair {
  readonly responder: IkeEngine;
  /** The client side; replaced by a fresh engine every CLIENT_HANDSHAKES handshakes (see handshake). */
  initiator: IkeEngine;
  readonly group: DhGroupId;
  handshakes: number;
  /** Wall milliseconds spent inside responder.receive, summed over every handshake. */
  responderMs: number;
}

/**
 * A real client holds one IKE SA; the bench's single initiator engine would otherwise keep every SA it ever
 * made (thousands, tens of MB of live heap), making garbage collection, and so the figure, depend on how
 * long the bench ran. A fresh client engine every so many handshakes keeps the live state bounded.
 */
const CLIENT_HANDSHAKES = 64;

/** Untimed handshakes before each group's measurement (see measure). */
const WARM_SECONDS = 0.5;

function clientEngine(group: DhGroupId): IkeEngine {
  return new IkeEngine({
    psk: 'bench',
    initiatorSuites: [{ cipher: { cipher: 'aes-cbc', keyBits: 128 }, hash: 'sha1', group }],
    initiatorEsp: [{ cipher: 'aes-cbc', keyBits: 128, integrity: 'hmac-sha1-96' }],
  });
}

/** A long-lived responder (as a server runs one) and a client engine proposing one suite. */
export function benchPair(group: DhGroupId): BenchPair {
  return {
    responder: new IkeEngine({ psk: 'bench' }),
    initiator: clientEngine(group),
    group,
    handshakes: 0,
    responderMs: 0,
  };
}

/**
 * One complete handshake; returns the number of SA installs (2 when both sides finished). The client's
 * INITIAL-CONTACT makes the responder drop the previous handshake's SAs, so its table stays small.
 */
export function handshake(pair: BenchPair): number {
  if (pair.handshakes++ % CLIENT_HANDSHAKES === CLIENT_HANDSHAKES - 1)
    pair.initiator = clientEngine(pair.group);
  const { responder, initiator } = pair;
  const queue: IkeAction[] = [...initiator.initiate(SERVER, CLIENT, 0).actions];
  let installed = 0;
  while (queue.length > 0) {
    const a = queue.shift()!;
    if (a.type === 'install-sa') installed++;
    if (a.type !== 'send') continue;
    if (a.to.address === SERVER.address) {
      const t0 = performance.now();
      const out = responder.receive(a.data, a.from, a.to, 0);
      pair.responderMs += performance.now() - t0;
      queue.push(...out);
    } else {
      queue.push(...initiator.receive(a.data, a.from, a.to, 0));
    }
  }
  return installed;
}

/**
 * Runs `body` for `seconds` of wall time; returns the count and the CPU time it used (user + system), so
 * the figure stays one core's worth on a machine shared with other work.
 */
function timeLoop(seconds: number, body: () => void): { n: number; ms: number; wallMs: number } {
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  const end = start + seconds * 1000;
  let n = 0;
  do {
    body();
    n++;
  } while (performance.now() < end);
  const cpu = process.cpuUsage(cpu0);
  return { n, ms: (cpu.user + cpu.system) / 1000, wallMs: performance.now() - start };
}

export function measure(group: DhGroupId, seconds: number): IkeBenchResult {
  const pair = benchPair(group);
  for (let i = 0; i < 3; i++)
    if (handshake(pair) !== 2) throw new Error(`group ${group}: handshake incomplete`);
  // Steady state first: V8 compiles the hot path on background threads, and process.cpuUsage() counts
  // those threads, so a cold start would charge its compilation to the first slices measured.
  timeLoop(WARM_SECONDS, () => handshake(pair));
  timeLoop(WARM_SECONDS / 2, () =>
    generateDhKeyPair(group).computeSecret(generateDhKeyPair(group).publicValue),
  );
  // Handshakes and bare DH alternate in short slices so both see the same machine load.
  const hs = { n: 0, ms: 0, wallMs: 0 };
  const dh = { n: 0, ms: 0, wallMs: 0 };
  const slices = Math.max(1, Math.round(seconds / 0.15));
  pair.responderMs = 0;
  for (let i = 0; i < slices; i++) {
    const h = timeLoop(0.1, () => handshake(pair));
    const d = timeLoop(0.05, () => {
      const a = generateDhKeyPair(group);
      const b = generateDhKeyPair(group);
      a.computeSecret(b.publicValue);
      b.computeSecret(a.publicValue);
    });
    for (const [acc, x] of [
      [hs, h],
      [dh, d],
    ] as const) {
      acc.n += x.n;
      acc.ms += x.ms;
      acc.wallMs += x.wallMs;
    }
  }
  const perHandshake = hs.ms / hs.n;
  const dhMs = dh.ms / dh.n;
  const responderMs = (hs.ms * (pair.responderMs / hs.wallMs)) / hs.n;
  return {
    group,
    handshakesPerSecond: Math.round((hs.n / hs.ms) * 1000 * 10) / 10,
    handshakes: hs.n,
    seconds: Math.round(hs.ms) / 1000,
    wallSeconds: Math.round(hs.wallMs) / 1000,
    dhMsPerHandshake: Math.round(dhMs * 1000) / 1000,
    otherMsPerHandshake: Math.round((perHandshake - dhMs) * 1000) / 1000,
    responderHandshakesPerSecond: Math.round((1000 / responderMs) * 10) / 10,
    responderMsPerHandshake: Math.round(responderMs * 1000) / 1000,
  };
}

export async function runBench(opts: BenchOptions): Promise<void> {
  // Five seconds per group: shorter runs still carry V8's tiering-up (background compilation is counted
  // in process CPU time), and read ~20-30% lower on the same code.
  const seconds = opts.seconds ?? 5;
  const results = ([19, 14, 2] as const).map((g) => measure(g, seconds));
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(results)}\n`);
    return;
  }
  process.stdout.write(
    'group  handshakes/s  DH ms/hs  other ms/hs  responder-only hs/s  (MM + QM, PSK, one core)\n',
  );
  for (const r of results) {
    process.stdout.write(
      `${String(r.group).padStart(5)}  ${r.handshakesPerSecond.toFixed(1).padStart(12)}  ${r.dhMsPerHandshake.toFixed(3).padStart(8)}  ${r.otherMsPerHandshake.toFixed(3).padStart(11)}  ${r.responderHandshakesPerSecond.toFixed(1).padStart(19)}\n`,
    );
  }
  process.stdout.write(
    'handshakes/s: both ends on one core; responder-only: the server side alone (clients do their own half)\n',
  );
}

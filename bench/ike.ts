/**
 * `l2tpsec bench ike`: full Main Mode + Quick Mode handshakes (9 messages, PSK, AES-128/SHA1, ESP
 * AES-128/SHA1) per second between an in-process initiator and responder, for ECP256 (19), MODP2048 (14)
 * and MODP1024 (2). The Diffie-Hellman share is measured separately (two key pairs and two shared
 * secrets per handshake) and subtracted to give the rest. Prints figures; asserts nothing.
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
  readonly seconds: number;
  readonly dhMsPerHandshake: number;
  readonly otherMsPerHandshake: number;
}

/** One complete handshake; returns the number of SA installs (2 when both sides finished). */
export function handshake(group: DhGroupId): number {
  const responder = new IkeEngine({ psk: 'bench' });
  const initiator = new IkeEngine({
    psk: 'bench',
    initiatorSuites: [{ cipher: { cipher: 'aes-cbc', keyBits: 128 }, hash: 'sha1', group }],
    initiatorEsp: [{ cipher: 'aes-cbc', keyBits: 128, integrity: 'hmac-sha1-96' }],
  });
  const queue: IkeAction[] = [...initiator.initiate(SERVER, CLIENT, 0).actions];
  let installed = 0;
  while (queue.length > 0) {
    const a = queue.shift()!;
    if (a.type === 'install-sa') installed++;
    if (a.type !== 'send') continue;
    const dst = a.to.address === SERVER.address ? responder : initiator;
    queue.push(...dst.receive(a.data, a.from, a.to, 0));
  }
  return installed;
}

function timeLoop(seconds: number, body: () => void): { n: number; ms: number } {
  const start = performance.now();
  const end = start + seconds * 1000;
  let n = 0;
  do {
    body();
    n++;
  } while (performance.now() < end);
  return { n, ms: performance.now() - start };
}

export function measure(group: DhGroupId, seconds: number): IkeBenchResult {
  for (let i = 0; i < 3; i++)
    if (handshake(group) !== 2) throw new Error(`group ${group}: handshake incomplete`);
  const hs = timeLoop(seconds, () => handshake(group));
  const dh = timeLoop(Math.max(0.2, seconds / 4), () => {
    const a = generateDhKeyPair(group);
    const b = generateDhKeyPair(group);
    a.computeSecret(b.publicValue);
    b.computeSecret(a.publicValue);
  });
  const perHandshake = hs.ms / hs.n;
  const dhMs = dh.ms / dh.n;
  return {
    group,
    handshakesPerSecond: Math.round((hs.n / hs.ms) * 1000 * 10) / 10,
    handshakes: hs.n,
    seconds: Math.round(hs.ms) / 1000,
    dhMsPerHandshake: Math.round(dhMs * 1000) / 1000,
    otherMsPerHandshake: Math.round((perHandshake - dhMs) * 1000) / 1000,
  };
}

export async function runBench(opts: BenchOptions): Promise<void> {
  const seconds = opts.seconds ?? 2;
  const results = ([19, 14, 2] as const).map((g) => measure(g, seconds));
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(results)}\n`);
    return;
  }
  process.stdout.write('group  handshakes/s  DH ms/hs  other ms/hs  (MM + QM, PSK, one core)\n');
  for (const r of results) {
    process.stdout.write(
      `${String(r.group).padStart(5)}  ${r.handshakesPerSecond.toFixed(1).padStart(12)}  ${r.dhMsPerHandshake.toFixed(3).padStart(8)}  ${r.otherMsPerHandshake.toFixed(3).padStart(11)}\n`,
    );
  }
}

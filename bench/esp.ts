/**
 * `l2tpsec bench esp`: packets per second through ESP seal and open (issue 3), for l2tpsec's SA (per packet:
 * `l2tpsec`; 16 packets per `sealBatch`/`openBatch` call: `l2tpsec-batch`) against two references measured
 * in the same run, interleaved in 20 ms slices so that all see the same background load:
 *
 * - naive: what a straightforward Node implementation does, a new cipher and a new HMAC object per packet
 *   (and `randomBytes` for each CBC IV);
 * - noble: the same construction on @noble/ciphers + @noble/hashes (pure JS), where noble has the cipher.
 *
 * The naive implementation (bench/esp-reference.ts) doubles as the independent reference the ESP tests
 * cross-check against. Set L2TPSEC_BENCH_ESP_SUITE=<suite> to measure one suite only. Throughput in Gbit/s counts payload bytes. Prints figures; asserts nothing.
 */
import { randomBytes } from 'node:crypto';
import { cbc, gcm } from '@noble/ciphers/aes.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import type { BenchOptions } from '../src/cli/bench.js';
import { CIPHERS, type CipherSpec, INTEGRITY, type IntegritySpec } from '../src/crypto/registry.js';
import { EspSa } from '../src/esp/sa.js';
import { header, type NaiveSa, naiveOpen, naiveSeal, withTrailer } from './esp-reference.js';

interface Suite {
  readonly name: string;
  readonly cipher: CipherSpec;
  readonly keyBits: number;
  readonly integrity: IntegritySpec | 'none';
}

const SUITES: readonly Suite[] = [
  { name: 'aes128-sha1', cipher: CIPHERS['aes-cbc'], keyBits: 128, integrity: INTEGRITY['hmac-sha1-96'] },
  { name: 'aes256-sha1', cipher: CIPHERS['aes-cbc'], keyBits: 256, integrity: INTEGRITY['hmac-sha1-96'] },
  {
    name: 'aes128-sha256',
    cipher: CIPHERS['aes-cbc'],
    keyBits: 128,
    integrity: INTEGRITY['hmac-sha256-128'],
  },
  {
    name: 'aes256-sha256',
    cipher: CIPHERS['aes-cbc'],
    keyBits: 256,
    integrity: INTEGRITY['hmac-sha256-128'],
  },
  { name: '3des-sha1', cipher: CIPHERS['3des-cbc'], keyBits: 192, integrity: INTEGRITY['hmac-sha1-96'] },
  { name: 'aes128-gcm', cipher: CIPHERS['aes-gcm-16'], keyBits: 128, integrity: 'none' },
];

const SIZES = [64, 512, 1400] as const;

export interface EspMeasurement {
  suite: string;
  size: number;
  op: 'seal' | 'open';
  /** l2tpsec-batch: the same SA driven through sealBatch/openBatch, BATCH packets per call. */
  impl: 'l2tpsec' | 'l2tpsec-batch' | 'naive' | 'noble';
  pps: number;
  gbps: number;
}

function keysFor(suite: Suite): NaiveSa {
  const integrity = suite.integrity;
  return {
    spi: 0x1000,
    cipher: suite.cipher,
    keyBits: suite.keyBits,
    encryptionKey: randomBytes(suite.keyBits / 8 + suite.cipher.saltSize),
    integrity,
    integrityKey: integrity === 'none' ? Buffer.alloc(0) : randomBytes(integrity.keySize),
    icvSize: integrity === 'none' ? 16 : integrity.icvSize,
  };
}

function saFor(k: NaiveSa, direction: 'inbound' | 'outbound'): EspSa {
  return new EspSa({
    spi: k.spi,
    direction,
    mode: 'transport',
    cipher: k.cipher,
    keyBits: k.keyBits,
    encryptionKey: k.encryptionKey,
    integrity: k.integrity,
    integrityKey: k.integrityKey,
    peer: { address: '127.0.0.1', port: 4500 },
    replayWindow: 4096,
  });
}

/**
 * Calls per second of each step, measured in interleaved slices (~20 ms each, round-robin until `seconds`
 * per step have passed) so that every implementation sees the same background load: the machine is shared
 * and noisy, and ratios are what the targets are stated in.
 */
function rates(seconds: number, steps: Readonly<Record<string, () => void>>): Record<string, number> {
  const names = Object.keys(steps);
  const calls: Record<string, number> = {};
  const time: Record<string, number> = {};
  for (const name of names) {
    calls[name] = 0;
    time[name] = 0;
    const warm = performance.now() + 20;
    while (performance.now() < warm) for (let i = 0; i < 16; i++) steps[name]();
  }
  const slice = 20;
  const rounds = Math.max(1, Math.round((seconds * 1000) / slice));
  for (let r = 0; r < rounds; r++) {
    for (const name of names) {
      const step = steps[name];
      const start = performance.now();
      const stop = start + slice;
      let now = start;
      let n = 0;
      while (now < stop) {
        for (let i = 0; i < 16; i++) step();
        n += 16;
        now = performance.now();
      }
      calls[name] += n;
      time[name] += now - start;
    }
  }
  const out: Record<string, number> = {};
  for (const name of names) out[name] = (calls[name] * 1000) / time[name];
  return out;
}

/** Packets sealed in advance for the open measurements; reopened by a fresh inbound SA per lap. */
const RING = 4096;

/** Packets per sealBatch/openBatch call (the issue measured 16 per cipher call). */
const BATCH = 16;

function nobleSealer(k: NaiveSa): ((payload: Uint8Array, seq: number) => Uint8Array) | undefined {
  const hashFn =
    k.integrity === 'none'
      ? undefined
      : k.integrity.hash === 'sha1'
        ? sha1
        : k.integrity.hash === 'sha256'
          ? sha256
          : undefined;
  if (k.cipher.name === 'aes-cbc' && hashFn) {
    return (payload, seq) => {
      const iv = randomBytes(16);
      const ct = cbc(k.encryptionKey, iv, { disablePadding: true }).encrypt(withTrailer(payload, 17, 16));
      const body = Buffer.concat([header(k.spi, seq), iv, ct]);
      return Buffer.concat([body, hmac(hashFn, k.integrityKey, body).subarray(0, k.icvSize)]);
    };
  }
  if (k.cipher.name === 'aes-gcm-16') {
    const key = k.encryptionKey.subarray(0, 16);
    const salt = k.encryptionKey.subarray(16, 20);
    return (payload, seq) => {
      const hdr = header(k.spi, seq);
      const iv = Buffer.concat([Buffer.alloc(4), hdr.subarray(4)]);
      const ct = gcm(key, Buffer.concat([salt, iv]), hdr).encrypt(withTrailer(payload, 17, 4));
      return Buffer.concat([hdr, iv, ct]);
    };
  }
  return undefined;
}

function nobleOpener(k: NaiveSa): ((packet: Uint8Array) => Uint8Array) | undefined {
  const hashFn =
    k.integrity === 'none'
      ? undefined
      : k.integrity.hash === 'sha1'
        ? sha1
        : k.integrity.hash === 'sha256'
          ? sha256
          : undefined;
  if (k.cipher.name === 'aes-cbc' && hashFn) {
    return (packet) => {
      const end = packet.length - k.icvSize;
      const mac = hmac(hashFn, k.integrityKey, packet.subarray(0, end));
      let diff = 0;
      for (let i = 0; i < k.icvSize; i++) diff |= mac[i] ^ packet[end + i];
      if (diff !== 0) throw new Error('bad icv');
      return cbc(k.encryptionKey, packet.subarray(8, 24), { disablePadding: true }).decrypt(
        packet.subarray(24, end),
      );
    };
  }
  if (k.cipher.name === 'aes-gcm-16') {
    const key = k.encryptionKey.subarray(0, 16);
    const salt = k.encryptionKey.subarray(16, 20);
    return (packet) =>
      gcm(key, Buffer.concat([salt, packet.subarray(8, 16)]), packet.subarray(0, 8)).decrypt(
        packet.subarray(16),
      );
  }
  return undefined;
}

function measureSuite(suite: Suite, size: number, seconds: number): EspMeasurement[] {
  const k = keysFor(suite);
  const payload = randomBytes(size);
  const out: EspMeasurement[] = [];
  const record = (op: 'seal' | 'open', impl: EspMeasurement['impl'], pps: number): void => {
    out.push({
      suite: suite.name,
      size,
      op,
      impl,
      pps: Math.round(pps),
      gbps: Number(((pps * size * 8) / 1e9).toFixed(3)),
    });
  };

  // seal
  const outbound = saFor(k, 'outbound');
  const buf = Buffer.alloc(size + 128);
  let seq = 0;
  const nobleSeal = nobleSealer(k);
  const sealSteps: Record<string, () => void> = {
    l2tpsec: () => {
      outbound.sealInto(payload, 17, buf, 8);
    },
    naive: () => {
      naiveSeal(k, ++seq, payload, 17);
    },
  };
  if (nobleSeal) sealSteps.noble = () => nobleSeal(payload, ++seq);
  const batchOut = saFor(k, 'outbound');
  const batchPayloads = Array.from({ length: BATCH }, () => payload);
  const batchOuts = Array.from({ length: BATCH }, () => Buffer.alloc(size + 128));
  const batchLengths = new Int32Array(BATCH);
  let batchPhase = 0;
  // One step = one packet: every BATCH-th step seals a whole batch.
  sealSteps['l2tpsec-batch'] = () => {
    if (batchPhase++ % BATCH === 0) batchOut.sealBatch(batchPayloads, 17, batchOuts, 8, batchLengths);
  };
  for (const [impl, pps] of Object.entries(rates(seconds, sealSteps)))
    record('seal', impl as EspMeasurement['impl'], pps);

  // open: a ring of distinct sequence numbers, a fresh inbound SA per lap so the replay window accepts them
  const ring: Buffer[] = [];
  const sealer = saFor(k, 'outbound');
  for (let i = 0; i < RING; i++) {
    const p = Buffer.alloc(size + 128);
    const n = sealer.sealInto(payload, 17, p, 0);
    ring.push(p.subarray(0, n));
  }
  let inbound = saFor(k, 'inbound');
  let i = 0;
  let j = 0;
  const nobleOpen = nobleOpener(k);
  const openSteps: Record<string, () => void> = {
    l2tpsec: () => {
      if (i === RING) {
        i = 0;
        inbound = saFor(k, 'inbound');
      }
      const p = ring[i++];
      if (inbound.openFrom(p, 0, p.length).status !== 'ok') throw new Error('bench: open failed');
    },
    naive: () => {
      const r = naiveOpen(k, ring[j++ & (RING - 1)]);
      if (typeof r === 'string') throw new Error(`bench: naive open ${r}`);
    },
  };
  if (nobleOpen) openSteps.noble = () => nobleOpen(ring[j++ & (RING - 1)]);
  let batchIn = saFor(k, 'inbound');
  const groups: Buffer[][] = [];
  for (let g = 0; g < RING; g += BATCH) groups.push(ring.slice(g, g + BATCH));
  let b = 0;
  const zeros = new Int32Array(BATCH);
  const batchLens = new Int32Array(BATCH);
  let batchPhaseIn = 0;
  openSteps['l2tpsec-batch'] = () => {
    if (batchPhaseIn++ % BATCH !== 0) return;
    if (b === RING) {
      b = 0;
      batchIn = saFor(k, 'inbound');
    }
    const group = groups[b / BATCH];
    for (let x = 0; x < BATCH; x++) batchLens[x] = group[x].length;
    b += BATCH;
    const results = batchIn.openBatch(group, zeros, batchLens);
    if (results[BATCH - 1].status !== 'ok') throw new Error('bench: batch open failed');
  };
  for (const [impl, pps] of Object.entries(rates(seconds, openSteps)))
    record('open', impl as EspMeasurement['impl'], pps);
  return out;
}

export async function runBench(opts: BenchOptions): Promise<void> {
  const seconds = opts.seconds ?? 0.3;
  const all: EspMeasurement[] = [];
  const only = process.env.L2TPSEC_BENCH_ESP_SUITE;
  for (const suite of SUITES) {
    if (only !== undefined && suite.name !== only) continue;
    for (const size of SIZES) {
      const rows = measureSuite(suite, size, seconds);
      all.push(...rows);
      if (!opts.json) printRows(rows);
    }
  }
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(all, null, 2)}\n`);
    return;
  }
  const pick = (op: string, impl: string) =>
    all.find((m) => m.suite === 'aes128-sha1' && m.size === 1400 && m.op === op && m.impl === impl);
  const sealRatio = (pick('seal', 'l2tpsec')?.pps ?? 0) / (pick('seal', 'naive')?.pps ?? 1);
  const openRatio = (pick('open', 'l2tpsec')?.pps ?? 0) / (pick('open', 'naive')?.pps ?? 1);
  const ratio = (op: string, impl: string) =>
    ((pick(op, impl)?.pps ?? 0) / (pick(op, 'naive')?.pps ?? 1)).toFixed(2);
  process.stdout.write(
    `\naes128-sha1 @1400 B, per packet: seal ${sealRatio.toFixed(2)}x naive (${pick('seal', 'l2tpsec')?.gbps} Gbit/s), ` +
      `open ${openRatio.toFixed(2)}x naive (${pick('open', 'l2tpsec')?.gbps} Gbit/s)\n` +
      `aes128-sha1 @1400 B, batches of ${BATCH}: seal ${ratio('seal', 'l2tpsec-batch')}x naive (${pick('seal', 'l2tpsec-batch')?.gbps} Gbit/s), ` +
      `open ${ratio('open', 'l2tpsec-batch')}x naive (${pick('open', 'l2tpsec-batch')?.gbps} Gbit/s)\n`,
  );
}

let headerPrinted = false;

function printRows(rows: readonly EspMeasurement[]): void {
  if (!headerPrinted) {
    process.stdout.write(
      `${'suite'.padEnd(15)}${'size'.padStart(6)}  ${'op'.padEnd(5)} ${'impl'.padEnd(14)}${'pps'.padStart(10)}${'Gbit/s'.padStart(9)}${'vs naive'.padStart(10)}\n`,
    );
    headerPrinted = true;
  }
  for (const m of rows) {
    const naive = rows.find((r) => r.op === m.op && r.impl === 'naive');
    const ratio = naive ? `${(m.pps / naive.pps).toFixed(2)}x` : '';
    process.stdout.write(
      `${m.suite.padEnd(15)}${String(m.size).padStart(6)}  ${m.op.padEnd(5)} ${m.impl.padEnd(14)}${String(m.pps).padStart(10)}${m.gbps.toFixed(2).padStart(9)}${ratio.padStart(10)}\n`,
    );
  }
}

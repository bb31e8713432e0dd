/**
 * `l2tpsec bench crypto`: throughput of every data-path primitive at ESP-typical payload sizes on both
 * backends, and Diffie-Hellman operations per second per group. Prints figures only; asserts nothing.
 */
import { createECDH, randomBytes } from 'node:crypto';
import type { BenchOptions } from '../src/cli/bench.js';
import { type BackendName, backend, type CryptoBackend, type EcpGroupId } from '../src/crypto/backend.js';
import { CbcContext } from '../src/crypto/cbc-context.js';
import { generateDhPrivateKey } from '../src/crypto/dh.js';
import { type NativeEcdh, nativeEcdh, nativeEcdhUnavailableReason } from '../src/crypto/ecdh-native.js';
import { isModpGroup } from '../src/crypto/modp-groups.js';
import type { DhGroupId } from '../src/crypto/registry.js';

const SIZES = [64, 512, 1400] as const;
const BACKENDS: readonly BackendName[] = ['node', 'noble'];
const DH_BENCH_GROUPS: readonly DhGroupId[] = [1, 2, 5, 14, 15, 19, 20, 21];
/** The ECP groups measured native (system libcrypto) against node:crypto's bundled OpenSSL. */
const ECDH_NATIVE_GROUPS: readonly EcpGroupId[] = [19, 20, 21];
const OPENSSL_CURVES: Readonly<Record<EcpGroupId, string>> = {
  19: 'prime256v1',
  20: 'secp384r1',
  21: 'secp521r1',
};

interface Primitive {
  readonly name: string;
  /** Measured on the node backend only (a node:crypto object with no noble counterpart). */
  readonly nodeOnly?: boolean;
  /** Returns a closure that processes one packet of `size` bytes. */
  prepare(be: CryptoBackend, size: number): () => void;
}

const key16 = randomBytes(16);
const key24 = randomBytes(24);
const key32 = randomBytes(32);
const iv16 = randomBytes(16);
const iv8 = randomBytes(8);
const nonce = randomBytes(12);
const aad = randomBytes(8);

/** CBC needs whole blocks: a 1400-byte payload is encrypted as ESP would pad it (RFC 4303 s2.4). */
const blocksOf = (n: number, block: number) => randomBytes(Math.ceil(n / block) * block);

/** A primitive applied to one fixed packet of the measured size (rounded up to `block` for CBC). */
function onPacket(
  name: string,
  block: number,
  fn: (be: CryptoBackend, packet: Buffer) => unknown,
): Primitive {
  return {
    name,
    prepare: (be, n) => {
      const packet = blocksOf(n, block);
      return () => {
        fn(be, packet);
      };
    },
  };
}

/** The keyed CbcContext the ESP data path can hold per SA (no cipher object per packet). */
function contextPrimitive(name: string, dir: 'encrypt' | 'decrypt'): Primitive {
  return {
    name,
    nodeOnly: true,
    prepare: (_be, n) => {
      const ctx = new CbcContext('aes-cbc', key16);
      const packet = blocksOf(n, 16);
      return () => {
        ctx[dir](iv16, packet);
      };
    },
  };
}

const PRIMITIVES: readonly Primitive[] = [
  onPacket('aes-128-cbc encrypt', 16, (be, d) => be.cbcEncrypt('aes-cbc', key16, iv16, d)),
  onPacket('aes-128-cbc decrypt', 16, (be, d) => be.cbcDecrypt('aes-cbc', key16, iv16, d)),
  contextPrimitive('aes-128-cbc enc (ctx)', 'encrypt'),
  contextPrimitive('aes-128-cbc dec (ctx)', 'decrypt'),
  onPacket('aes-256-cbc encrypt', 16, (be, d) => be.cbcEncrypt('aes-cbc', key32, iv16, d)),
  onPacket('3des-cbc encrypt', 8, (be, d) => be.cbcEncrypt('3des-cbc', key24, iv8, d)),
  onPacket('aes-128-gcm-16 seal', 1, (be, d) => be.gcmSeal(key16, nonce, aad, d)),
  {
    name: 'aes-128-gcm-16 open',
    prepare: (be, n) => {
      const sealed = be.gcmSeal(key16, nonce, aad, randomBytes(n));
      return () => {
        if (!be.gcmOpen(key16, nonce, aad, sealed)) throw new Error('bench: GCM open failed');
      };
    },
  },
  onPacket('aes-256-gcm-16 seal', 1, (be, d) => be.gcmSeal(key32, nonce, aad, d)),
  onPacket('hmac-sha1-96', 1, (be, d) => be.hmac('sha1', key16, [d])),
  onPacket('hmac-sha256-128', 1, (be, d) => be.hmac('sha256', key32, [d])),
  onPacket('hmac-sha512-256', 1, (be, d) => be.hmac('sha512', key32, [d])),
];

/** Runs `op` in batches until `seconds` have passed; returns operations per second. */
function measure(op: () => void, seconds: number): number {
  for (let i = 0; i < 3; i++) op(); // warm-up: JIT, cached DH objects, key schedules
  const deadline = performance.now() + seconds * 1000;
  const start = performance.now();
  let ops = 0;
  let batch = 1;
  for (;;) {
    for (let i = 0; i < batch; i++) op();
    ops += batch;
    const now = performance.now();
    if (now >= deadline) return (ops * 1000) / (now - start);
    if (now - start < 50) batch *= 2;
  }
}

/** One key pair plus one shared secret: what each side of an IKE exchange pays. */
function dhOp(be: CryptoBackend, group: DhGroupId): () => void {
  const peer = generateDhPrivateKey(group);
  const peerPublic = isModpGroup(group)
    ? be.modpPublic(group, peer)
    : be.ecpPublic(group as EcpGroupId, peer);
  return () => {
    const x = generateDhPrivateKey(group);
    if (isModpGroup(group)) {
      be.modpPublic(group, x);
      be.modpSecret(group, x, peerPublic);
    } else {
      be.ecpPublic(group as EcpGroupId, x);
      be.ecpSecret(group as EcpGroupId, x, peerPublic);
    }
  };
}

/** dhOp's ECP work on the native path directly (whatever L2TPSEC_NATIVE_ECDH says). */
function nativeEcdhOp(native: NativeEcdh, group: EcpGroupId): () => void {
  const peerPublic = native.publicValue(group, generateDhPrivateKey(group));
  return () => {
    const x = generateDhPrivateKey(group);
    native.publicValue(group, x);
    if (!native.secret(group, x, peerPublic)) throw new Error('bench: native ECDH refused a valid point');
  };
}

/** The same work through node:crypto's ECDH object (Node's bundled OpenSSL). */
function nodeCryptoEcdhOp(group: EcpGroupId): () => void {
  const peer = createECDH(OPENSSL_CURVES[group]);
  peer.generateKeys();
  const peerPoint = peer.getPublicKey();
  return () => {
    const ecdh = createECDH(OPENSSL_CURVES[group]);
    ecdh.setPrivateKey(generateDhPrivateKey(group));
    ecdh.getPublicKey();
    ecdh.computeSecret(peerPoint);
  };
}

export interface CipherFigure {
  kind: 'primitive';
  primitive: string;
  backend: BackendName;
  bytes: number;
  packetsPerSecond: number;
  gbitPerSecond: number;
}

export interface DhFigure {
  kind: 'dh';
  group: DhGroupId;
  backend: BackendName;
  opsPerSecond: number;
}

/** Key pair + secret per second: system libcrypto through the addon vs node:crypto, same run. */
export interface EcdhNativeFigure {
  kind: 'ecdh-native';
  group: EcpGroupId;
  nativeOpsPerSecond: number;
  nodeCryptoOpsPerSecond: number;
  /** native / node:crypto. */
  ratio: number;
}

const fmt = (v: number, digits = 0) =>
  v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

export async function runBench(opts: BenchOptions): Promise<void> {
  const seconds = opts.seconds ?? 0.25;
  const figures: (CipherFigure | DhFigure | EcdhNativeFigure)[] = [];
  const started = performance.now();
  for (const p of PRIMITIVES) {
    for (const size of SIZES) {
      for (const name of p.nodeOnly ? (['node'] as const) : BACKENDS) {
        const pps = measure(p.prepare(backend(name), size), seconds);
        figures.push({
          kind: 'primitive',
          primitive: p.name,
          backend: name,
          bytes: size,
          packetsPerSecond: Math.round(pps),
          gbitPerSecond: Number(((pps * size * 8) / 1e9).toFixed(3)),
        });
      }
    }
  }
  for (const group of DH_BENCH_GROUPS) {
    for (const name of BACKENDS) {
      const ops = measure(dhOp(backend(name), group), seconds);
      figures.push({ kind: 'dh', group, backend: name, opsPerSecond: Number(ops.toFixed(1)) });
    }
  }
  const native = nativeEcdh();
  if (native) {
    for (const group of ECDH_NATIVE_GROUPS) {
      // Interleaved per group, so both sides of a ratio see the same machine load.
      const nativeOps = measure(nativeEcdhOp(native, group), seconds);
      const nodeOps = measure(nodeCryptoEcdhOp(group), seconds);
      figures.push({
        kind: 'ecdh-native',
        group,
        nativeOpsPerSecond: Number(nativeOps.toFixed(1)),
        nodeCryptoOpsPerSecond: Number(nodeOps.toFixed(1)),
        ratio: Number((nativeOps / nodeOps).toFixed(2)),
      });
    }
  }
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
    return;
  }
  const out: string[] = [];
  out.push('primitive              bytes   node pkt/s  node Gbit/s   noble pkt/s  noble Gbit/s  node/noble');
  for (const p of PRIMITIVES) {
    for (const size of SIZES) {
      const row = (be: BackendName) =>
        figures.find(
          (f): f is CipherFigure =>
            f.kind === 'primitive' && f.primitive === p.name && f.bytes === size && f.backend === be,
        );
      const a = row('node')!;
      const b = row('noble');
      const nobleCols = b
        ? `${fmt(b.packetsPerSecond).padStart(13)} ${fmt(b.gbitPerSecond, 3).padStart(13)} ${fmt(a.packetsPerSecond / b.packetsPerSecond, 1).padStart(10)}x`
        : `${'-'.padStart(13)} ${'-'.padStart(13)} ${'-'.padStart(11)}`;
      out.push(
        `${p.name.padEnd(22)} ${String(size).padStart(5)} ${fmt(a.packetsPerSecond).padStart(12)} ${fmt(a.gbitPerSecond, 3).padStart(12)} ${nobleCols}`,
      );
    }
  }
  out.push('');
  out.push('DH group (key pair + shared secret)   node ops/s   noble ops/s');
  for (const group of DH_BENCH_GROUPS) {
    const row = (be: BackendName) =>
      figures.find((f): f is DhFigure => f.kind === 'dh' && f.group === group && f.backend === be)!;
    out.push(
      `group ${String(group).padEnd(31)} ${fmt(row('node').opsPerSecond, 1).padStart(10)} ${fmt(row('noble').opsPerSecond, 1).padStart(13)}`,
    );
  }
  out.push(
    native
      ? '(node ECP rows above run through the native ECDH path; L2TPSEC_NATIVE_ECDH=0 measures node:crypto)'
      : `(native ECDH unavailable: ${nativeEcdhUnavailableReason()})`,
  );
  if (native) {
    out.push('');
    out.push('ECDH (key pair + shared secret)      native ops/s   node:crypto ops/s   native/node:crypto');
    for (const f of figures) {
      if (f.kind !== 'ecdh-native') continue;
      out.push(
        `group ${String(f.group).padEnd(31)} ${fmt(f.nativeOpsPerSecond, 1).padStart(11)} ${fmt(f.nodeCryptoOpsPerSecond, 1).padStart(19)} ${fmt(f.ratio, 2).padStart(19)}x`,
      );
    }
  }
  out.push('');
  out.push(`(${fmt((performance.now() - started) / 1000, 1)} s; ${seconds} s per figure)`);
  process.stdout.write(`${out.join('\n')}\n`);
}

/**
 * `l2tpsec bench tun`: packets per second one way through a TUN (issue 7 target: ≥ 100k packets/s on this
 * machine). The TUN is opened here and moved into a namespace this benchmark creates (deleted on exit).
 *
 * - loop: UDP packets written into the TUN are forwarded by the namespace's kernel straight back out of
 *   the same TUN and read again, with a fixed number in flight: each packet crosses the TUN twice (one
 *   write, one batched read) on this one JS thread, the per-packet work of the server's data path.
 * - write: packets written as fast as the kernel takes them, to a blackhole route (the write side alone).
 * - udp-native / udp-dgram: datagrams one way between two loopback UDP sockets in this process, with a
 *   fixed number in flight: the native port (recvmmsg/sendmmsg batches) against Node's dgram, the
 *   fallback, in the same run.
 *
 * Prints figures; asserts nothing.
 */
import { execFileSync } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import type { BenchOptions } from '../src/cli/bench.js';
import { ip } from '../src/net/ip-command.js';
import { ipv4ToInt } from '../src/net/ipv4-address.js';
import { Tun } from '../src/net/tun.js';
import { NativeUdpSocket } from '../src/net/udp-native.js';

type Phase = 'loop' | 'write' | 'udp-native' | 'udp-dgram';

interface TunMeasurement {
  phase: Phase;
  size: number;
  packets: number;
  seconds: number;
  pps: number;
  mbps: number;
}

const LOCAL = '10.201.0.1';
const PEER = '10.201.0.2';
const LOOP_NET = '10.202.0.0/24';
const LOOP_DST = '10.202.0.9';
const SINK_NET = '10.203.0.0/24';
const SINK_DST = '10.203.0.9';
const IN_FLIGHT = 256;

/** An IPv4/UDP packet of `size` bytes from PEER to `dst` (RFC 791 header checksum; UDP checksum 0). */
function udpPacket(dst: string, size: number): Buffer {
  const buf = Buffer.alloc(size);
  buf[0] = 0x45;
  buf.writeUInt16BE(size, 2);
  buf[8] = 64;
  buf[9] = 17;
  buf.writeUInt32BE(ipv4ToInt(PEER), 12);
  buf.writeUInt32BE(ipv4ToInt(dst), 16);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += buf.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  buf.writeUInt16BE(~sum & 0xffff, 10);
  buf.writeUInt16BE(40000, 20);
  buf.writeUInt16BE(9, 22);
  buf.writeUInt16BE(size - 20, 24);
  return buf;
}

function nsSysctl(ns: string, key: string, value: string): void {
  execFileSync('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', `${key}=${value}`], { stdio: 'ignore' });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function result(phase: Phase, size: number, packets: number, seconds: number): TunMeasurement {
  const pps = packets / seconds;
  return {
    phase,
    size,
    packets,
    seconds: Number(seconds.toFixed(3)),
    pps: Math.round(pps),
    mbps: Math.round((pps * size * 8) / 1e6),
  };
}

/** The read side of the loop: what the TUN's packet handler and batch-end hook currently drive. */
interface LoopState {
  pkt: Buffer;
  size: number;
  inFlight: number;
  received: number;
  counting: boolean;
  active: boolean;
}

const loopDst = ipv4ToInt(LOOP_DST);
const state: LoopState = {
  pkt: Buffer.alloc(0),
  size: 0,
  inFlight: 0,
  received: 0,
  counting: false,
  active: false,
};

function onPacket(buf: Buffer, off: number): void {
  if (buf[off + 9] !== 17 || buf.readUInt32BE(off + 16) !== loopDst) return;
  state.inFlight--;
  if (state.counting) state.received++;
}

function refill(tun: Tun): void {
  if (!state.active) return;
  // Through the write arena: one native call per batch, as the server's receive path does.
  while (state.inFlight < IN_FLIGHT) {
    state.pkt.copy(tun.sendBuffer, tun.sendOffset, 0, state.size);
    tun.commit(state.size);
    state.inFlight++;
  }
  tun.flush();
}

async function measureLoop(tun: Tun, size: number, seconds: number): Promise<TunMeasurement> {
  Object.assign(state, { pkt: udpPacket(LOOP_DST, size), size, inFlight: 0, received: 0, active: true });
  refill(tun);
  // Packets the kernel drops never come back: if the window stalls, open it again.
  let last = -1;
  const guard = setInterval(() => {
    if (state.received === last) {
      state.inFlight = 0;
      refill(tun);
    }
    last = state.received;
  }, 200);
  await sleep(300); // warm-up
  state.counting = true;
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const elapsed = (performance.now() - t0) / 1000;
  state.counting = false;
  state.active = false;
  clearInterval(guard);
  await sleep(100); // let the window drain
  return result('loop', size, state.received, elapsed);
}

async function measureWrite(tun: Tun, size: number, seconds: number): Promise<TunMeasurement> {
  const pkt = udpPacket(SINK_DST, size);
  let written = 0;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  while (performance.now() < end) {
    for (let i = 0; i < 1000; i++) if (tun.write(pkt, 0, size)) written++;
    await new Promise<void>((r) => setImmediate(r));
  }
  return result('write', size, written, (performance.now() - t0) / 1000);
}

/** Counts datagrams for `seconds` after a warm-up, with `refill` keeping the window full. */
async function closedLoop(
  refill: () => void,
  counter: { received: number; counting: boolean; inFlight: number },
  seconds: number,
): Promise<{ packets: number; elapsed: number }> {
  refill();
  let last = -1;
  const guard = setInterval(() => {
    if (counter.received === last) {
      counter.inFlight = 0;
      refill();
    }
    last = counter.received;
  }, 200);
  await sleep(300);
  counter.received = 0;
  counter.counting = true;
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const elapsed = (performance.now() - t0) / 1000;
  counter.counting = false;
  clearInterval(guard);
  return { packets: counter.received, elapsed };
}

async function measureUdpNative(size: number, seconds: number): Promise<TunMeasurement> {
  const c = { received: 0, counting: false, inFlight: 0, active: true };
  const dst = ipv4ToInt('127.0.0.1');
  const payload = Buffer.alloc(size, 0x5a);
  let tx: NativeUdpSocket | undefined;
  let rxPort = 0;
  const refill = () => {
    if (!c.active || !tx) return;
    while (c.inFlight < IN_FLIGHT) {
      payload.copy(tx.sendBuffer, tx.sendOffset, 0, size);
      tx.commit(size, dst, rxPort);
      c.inFlight++;
    }
    tx.flush();
  };
  const rx = NativeUdpSocket.open(
    0,
    () => {
      c.inFlight--;
      if (c.counting) c.received++;
    },
    { address: '127.0.0.1', batch: 64, maxDatagram: 2048, onBatchEnd: refill },
  );
  rxPort = rx.port;
  tx = NativeUdpSocket.open(0, () => {}, { address: '127.0.0.1', batch: 64, maxDatagram: 2048 });
  try {
    const r = await closedLoop(refill, c, seconds);
    return result('udp-native', size, r.packets, r.elapsed);
  } finally {
    c.active = false;
    await sleep(50);
    rx.close();
    tx.close();
  }
}

async function measureUdpDgram(size: number, seconds: number): Promise<TunMeasurement> {
  const c = { received: 0, counting: false, inFlight: 0, active: true };
  const payload = Buffer.alloc(size, 0x5a);
  const bind = (s: Socket) => new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const rx = createSocket('udp4');
  const tx = createSocket('udp4');
  await bind(rx);
  await bind(tx);
  rx.setRecvBufferSize(4 << 20);
  const port = rx.address().port;
  let scheduled = false;
  const refill = () => {
    scheduled = false;
    if (!c.active) return;
    while (c.inFlight < IN_FLIGHT) {
      tx.send(payload, 0, size, port, '127.0.0.1');
      c.inFlight++;
    }
  };
  rx.on('message', () => {
    c.inFlight--;
    if (c.counting) c.received++;
    // dgram has no batch boundary: refill once per turn of the loop, as a server would.
    if (!scheduled) {
      scheduled = true;
      setImmediate(refill);
    }
  });
  try {
    const r = await closedLoop(refill, c, seconds);
    return result('udp-dgram', size, r.packets, r.elapsed);
  } finally {
    c.active = false;
    await sleep(50);
    rx.close();
    tx.close();
  }
}

export async function runBench(opts: BenchOptions): Promise<void> {
  if (process.getuid?.() !== 0)
    throw new Error('bench tun needs root (it creates a network namespace and a TUN)');
  const seconds = opts.seconds ?? 3;
  const ns = `l2s-benchtun-${process.pid}`;
  let tun: Tun | undefined;
  const cleanup = () => {
    tun?.close();
    try {
      execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    } catch {
      // never created
    }
  };
  const onSignal = () => {
    cleanup();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const results: TunMeasurement[] = [];
  try {
    execFileSync('ip', ['netns', 'add', ns]);
    const opened: Tun = Tun.open(onPacket, {
      name: 'l2sbench%d',
      batch: 64,
      maxPacket: 2048,
      onBatchEnd: () => refill(opened),
    });
    tun = opened;
    ip(['link', 'set', 'dev', tun.name, 'netns', ns]);
    nsSysctl(ns, 'net.ipv4.ip_forward', '1');
    for (const scope of ['all', 'default']) {
      nsSysctl(ns, `net.ipv4.conf.${scope}.rp_filter`, '0');
      nsSysctl(ns, `net.ipv4.conf.${scope}.send_redirects`, '0');
    }
    tun.configure({ address: LOCAL, peer: PEER, mtu: 1500, netns: ns, routes: [LOOP_NET] });
    nsSysctl(ns, `net.ipv4.conf.${tun.name}.send_redirects`, '0');
    ip(['route', 'add', 'blackhole', SINK_NET], ns);
    for (const size of [64, 1400]) {
      results.push(await measureLoop(tun, size, seconds));
      results.push(await measureWrite(tun, size, seconds));
    }
    for (const size of [64, 1400]) {
      results.push(await measureUdpNative(size, seconds));
      results.push(await measureUdpDgram(size, seconds));
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    cleanup();
  }
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(results)}\n`);
    return;
  }
  process.stdout.write('phase       size   packets/s    Mbit/s\n');
  for (const r of results) {
    process.stdout.write(
      `${r.phase.padEnd(11)} ${String(r.size).padStart(4)} ${String(r.pps).padStart(11)} ${String(r.mbps).padStart(9)}\n`,
    );
  }
  const ratio = (size: number) => {
    const n = results.find((r) => r.phase === 'udp-native' && r.size === size)?.pps ?? 0;
    const d = results.find((r) => r.phase === 'udp-dgram' && r.size === size)?.pps ?? 0;
    return d > 0 ? (n / d).toFixed(2) : 'n/a';
  };
  process.stdout.write(
    'loop: TUN write + kernel forward + batched TUN read per packet, one thread; write: TUN write side alone\n' +
      `udp: one way over loopback, native/dgram = ${ratio(64)}x at 64 bytes, ${ratio(1400)}x at 1400 bytes\n`,
  );
}

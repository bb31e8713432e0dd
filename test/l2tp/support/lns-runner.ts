/**
 * A stand-alone L2TP LNS over plain UDP for the xl2tpd interop test: binds `bind:port`, runs an
 * `L2tpEndpoint` on the system clock, and prints one JSON line per control message in or out and per
 * upper-layer event, so the test can read the exchange. Started inside a network namespace by the test.
 *
 * argv[2]: JSON { bind, port?, secret?, hideAvps?, closeHold?, helloInterval? }
 */
import { createSocket } from 'node:dgram';
import type { L2tpAction } from '../../../src/l2tp/actions.js';
import { decodeAvps } from '../../../src/l2tp/avp.js';
import { AvpType, messageTypeName } from '../../../src/l2tp/constants.js';
import { L2tpEndpoint } from '../../../src/l2tp/endpoint.js';
import { decodeControl, FLAG_T } from '../../../src/l2tp/header.js';
import { decodeMessage } from '../../../src/l2tp/message.js';
import { systemClock, systemRng } from '../../../src/util/clock.js';

interface RunnerOptions {
  bind: string;
  port?: number;
  secret?: string;
  hideAvps?: boolean;
  closeHold?: number;
  helloInterval?: number;
}

const opts = JSON.parse(process.argv[2] ?? '{}') as RunnerOptions;
const secret = opts.secret !== undefined ? Buffer.from(opts.secret) : undefined;
const ep = new L2tpEndpoint({
  rng: systemRng,
  config: {
    hostName: 'l2tpsec-lns',
    secret,
    hideAvps: opts.hideAvps ?? false,
    closeHold: opts.closeHold ?? 31_000,
    helloInterval: opts.helloInterval ?? 60_000,
  },
});

function emit(o: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ t: Math.round(systemClock.now()), ...o })}\n`);
}

/** Logs a control datagram's type and the AVPs the test looks at. */
function describe(dir: 'rx' | 'tx', data: Buffer): void {
  if (data.length < 2 || (data.readUInt16BE(0) & FLAG_T) === 0) return;
  try {
    const h = decodeControl(data);
    if (h.body.length === 0) {
      emit({ dir, type: 'ZLB', ns: h.ns, nr: h.nr });
      return;
    }
    // A Random Vector AVP (vendor 0, type 36) anywhere in the body: xl2tpd's `hidden bit = yes`.
    const randomVector = decodeAvps(h.body).some((a) => a.vendorId === 0 && a.type === AvpType.RandomVector);
    const { message, error } = decodeMessage(h.body, secret);
    emit({
      dir,
      type: messageTypeName(message.type),
      ns: h.ns,
      nr: h.nr,
      tunnelId: h.tunnelId,
      sessionId: h.sessionId,
      resultCode: message.resultCode,
      challenge: message.challenge !== undefined,
      challengeResponse: message.challengeResponse !== undefined,
      randomVector,
      error: error?.message,
      hex: data.toString('hex'),
    });
  } catch (err) {
    emit({ dir, type: 'undecodable', error: (err as Error).message });
  }
}

const sock = createSocket('udp4');
let timer: NodeJS.Timeout | undefined;
let lastCounts = '0/0';

function run(actions: readonly L2tpAction[]): void {
  for (const a of actions) {
    if (a.type === 'send') {
      describe('tx', a.data);
      const [addr, port] = a.peer.split(':');
      sock.send(a.data, Number(port), addr);
    } else if (a.type === 'ppp') {
      emit({ event: 'ppp', tunnelId: a.tunnelId, sessionId: a.sessionId, length: a.frame.length });
    } else {
      emit({ event: a.type, ...a });
    }
  }
  const counts = `${ep.tunnelCount}/${ep.sessionCount}`;
  if (counts !== lastCounts) {
    lastCounts = counts;
    emit({ state: 'counts', tunnels: ep.tunnelCount, sessions: ep.sessionCount });
  }
  schedule();
}

function schedule(): void {
  if (timer) clearTimeout(timer);
  timer = undefined;
  const d = ep.deadline();
  if (d === undefined) return;
  timer = setTimeout(() => run(ep.tick(systemClock.now())), Math.max(0, d - systemClock.now()));
}

sock.on('message', (msg, rinfo) => {
  describe('rx', msg);
  run(ep.receive(`${rinfo.address}:${rinfo.port}`, msg, systemClock.now()));
});

process.on('SIGTERM', () => {
  sock.close();
  process.exit(0);
});
process.stdin.on('data', (d) => {
  // "close" on stdin: the LNS ends every tunnel with StopCCN (tests the LNS-initiated teardown).
  if (d.toString().includes('counters')) emit({ state: 'counters', counters: ep.counters.snapshot() });
  if (d.toString().includes('close')) {
    for (let id = 1; id <= 0xffff; id++) if (ep.tunnel(id)) run(ep.closeTunnel(id, systemClock.now()));
  }
});

sock.bind(opts.port ?? 1701, opts.bind, () => emit({ state: 'ready' }));

/**
 * `l2tpsec bench e2e`: TCP throughput through the whole product (issue 7). `l2tpsec server` in one
 * namespace, `l2tpsec connect` in another — the real CLI, as separate processes — joined by a veth; the
 * server allows only AES-128-CBC/HMAC-SHA1-96 and ESP travels in UDP 4500 (forced encapsulation, the
 * default). iperf3, TCP, one stream, from the client's namespace to the server's tunnel address: every
 * segment crosses both userspace data paths (TUN → PPP → L2TP → ESP seal → UDP, and back).
 *
 * Side by side in the same run, the anchor: strongSwan's userspace ESP (kernel-libipsec) with aes128-sha1,
 * tunnel mode, UDP-encapsulated, between the same kind of namespace pair (e2e-strongswan.ts); then the
 * ratio. Prints figures; asserts nothing.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchOptions } from '../src/cli/bench.js';
import { collectLines, type IperfResult, iperf3Tcp, NamespacePair, waitFor } from './e2e-netns.js';
import { measureStrongswan, strongswanUnavailable } from './e2e-strongswan.js';

const OUTER = { server: '198.18.3.1', client: '198.18.3.2' };
const TUNNEL_ADDRESS = '192.168.42.1';
const DEFAULT_SECONDS = 10;

/** bin/l2tpsec.js, from dist/bench/ (compiled) or bench/ (source). */
function cliPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const up of ['../..', '..']) {
    const p = resolve(here, up, 'bin/l2tpsec.js');
    if (existsSync(p)) return p;
  }
  throw new Error('bin/l2tpsec.js not found');
}

interface OursResult extends IperfResult {
  readonly suite: string;
  readonly encapsulation: string;
  readonly clientAddress: string;
}

function jsonLines(lines: readonly string[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const l of lines) {
    if (!l.startsWith('{')) continue;
    try {
      out.push(JSON.parse(l) as Record<string, unknown>);
    } catch {
      // not JSON: a human line
    }
  }
  return out;
}

async function measureOurs(seconds: number): Promise<OursResult> {
  const cli = cliPath();
  const pair = new NamespacePair({ purpose: 'l2s', left: `${OUTER.server}/24`, right: `${OUTER.client}/24` });
  const dir = mkdtempSync(join(tmpdir(), 'l2s-bench-e2e-'));
  const psk = randomBytes(16).toString('base64url');
  const user = 'bench';
  const password = randomBytes(12).toString('base64url');
  const serverLines: string[] = [];
  const clientOut: string[] = [];
  const clientErr: string[] = [];
  try {
    await pair.create({ purpose: 'l2s', left: `${OUTER.server}/24`, right: `${OUTER.client}/24` });
    const config = join(dir, 'server.yaml');
    writeFileSync(config, 'esp:\n  suites: [aes128-sha1]\nlogging:\n  level: info\n');
    const server = pair.spawn(
      pair.left,
      [
        process.execPath,
        cli,
        'server',
        '--config',
        config,
        '--listen',
        OUTER.server,
        '--control',
        join(dir, 'control.sock'),
      ],
      { PATH: process.env.PATH, VPN_IPSEC_PSK: psk, VPN_USER: user, VPN_PASSWORD: password },
    );
    collectLines(server, 'stderr', serverLines);
    collectLines(server, 'stdout', serverLines);
    await waitFor(
      () => {
        if (server.exitCode !== null)
          throw new Error(`l2tpsec server exited:\n${serverLines.slice(-20).join('\n')}`);
        return jsonLines(serverLines).some((j) => String(j.msg).includes('listening')) ? true : undefined;
      },
      20_000,
      'l2tpsec server to listen',
    );
    const client = pair.spawn(
      pair.right,
      [
        process.execPath,
        cli,
        'connect',
        '--server',
        OUTER.server,
        '--psk',
        psk,
        '--user',
        user,
        '--password',
        password,
        '--json',
      ],
      { PATH: process.env.PATH },
    );
    collectLines(client, 'stdout', clientOut);
    collectLines(client, 'stderr', clientErr);
    const connected = await waitFor(
      () => {
        const events = jsonLines(clientOut);
        const failed = events.find((e) => e.event === 'failed');
        if (failed !== undefined || client.exitCode !== null) {
          throw new Error(
            `l2tpsec connect failed: ${JSON.stringify(failed)}\n${clientErr.slice(-20).join('\n')}`,
          );
        }
        return events.find((e) => e.event === 'connected');
      },
      40_000,
      'l2tpsec connect',
    );
    const sa = jsonLines(clientErr).find((j) => j.msg === 'IPsec SA installed');
    const suite = sa ? `${sa.cipher}-${sa.keyBits}/${sa.integrity}` : 'unknown';
    const encapsulation = sa?.encap === true ? 'udp-4500' : 'esp';
    const r = await iperf3Tcp(pair, pair.left, TUNNEL_ADDRESS, pair.right, seconds);
    return { ...r, suite, encapsulation, clientAddress: String(connected.address) };
  } finally {
    await pair.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Row {
  readonly name: string;
  readonly suite: string;
  readonly mbps: number | undefined;
  readonly retransmits: number | undefined;
  readonly note: string;
}

export async function runBench(opts: BenchOptions): Promise<void> {
  const seconds = opts.seconds ?? DEFAULT_SECONDS;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    process.stdout.write('bench e2e: needs root (network namespaces, TUN); nothing measured\n');
    process.exitCode = 1;
    return;
  }
  const rows: Row[] = [];
  const ours = await measureOurs(seconds);
  rows.push({
    name: 'l2tpsec connect ⇄ server',
    suite: `${ours.suite} ${ours.encapsulation}`,
    mbps: ours.receivedMbps,
    retransmits: ours.retransmits,
    note: 'L2TP/IPsec, transport mode',
  });
  let anchor: number | undefined;
  const missing = strongswanUnavailable();
  if (missing !== undefined) {
    rows.push({
      name: 'strongSwan kernel-libipsec',
      suite: 'aes128-sha1',
      mbps: undefined,
      retransmits: undefined,
      note: `not run: ${missing}`,
    });
  } else {
    try {
      const sw = await measureStrongswan({ esp: 'aes128-sha1', seconds });
      anchor = sw.receivedMbps;
      rows.push({
        name: 'strongSwan kernel-libipsec',
        suite: `${sw.proposal} ${sw.encapsulated ? 'udp-4500' : 'esp'}`,
        mbps: sw.receivedMbps,
        retransmits: sw.retransmits,
        note: 'IPsec only, tunnel mode',
      });
    } catch (err) {
      rows.push({
        name: 'strongSwan kernel-libipsec',
        suite: 'aes128-sha1',
        mbps: undefined,
        retransmits: undefined,
        note: `failed: ${(err as Error).message.split('\n')[0]}`,
      });
    }
  }
  const ratio = anchor !== undefined && anchor > 0 ? ours.receivedMbps / anchor : undefined;
  if (opts.json) {
    process.stdout.write(
      `${JSON.stringify({ bench: 'e2e', seconds, streams: 1, protocol: 'tcp', results: rows, ratio: ratio ?? null }, null, 2)}\n`,
    );
    return;
  }
  process.stdout.write(`iperf3 TCP, 1 stream, ${seconds} s, receiver Mbit/s\n`);
  const table = rows.map((r) => [
    r.name,
    r.suite,
    r.mbps === undefined ? '-' : r.mbps.toFixed(1),
    r.retransmits === undefined ? '-' : String(r.retransmits),
    r.note,
  ]);
  const header = ['endpoint', 'suite', 'Mbit/s', 'retr', 'note'];
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((t) => t[i].length)));
  for (const line of [header, ...table]) {
    process.stdout.write(
      `${line
        .map((c, i) => (i === 2 || i === 3 ? c.padStart(widths[i]) : c.padEnd(widths[i])))
        .join('  ')
        .trimEnd()}\n`,
    );
  }
  process.stdout.write(
    ratio === undefined
      ? 'ratio: n/a (strongSwan anchor not measured in this run)\n'
      : `ratio l2tpsec / strongSwan libipsec: ${ratio.toFixed(2)}\n`,
  );
}

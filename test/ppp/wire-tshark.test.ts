/**
 * An independent decoder reads our wire: the frames of whole client/server sessions are written to a pcap
 * (DLT_PPP, frames with FF 03) and Wireshark's dissectors must find every packet well formed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Pair } from './harness.js';

const hasTshark = spawnSync('tshark', ['--version']).status === 0;
if (!hasTshark) console.warn('tshark not installed (scripts/test-env.sh installs it): skipping wire decode');
const dir = mkdtempSync(join(tmpdir(), 'l2s-ppp-pcap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** libpcap file, link type 9 (PPP). */
function pcap(frames: Buffer[]): Buffer {
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(65535, 16);
  head.writeUInt32LE(9, 20);
  const parts: Buffer[] = [head];
  frames.forEach((f, i) => {
    const h = Buffer.alloc(16);
    h.writeUInt32LE(i, 0);
    h.writeUInt32LE(f.length, 8);
    h.writeUInt32LE(f.length, 12);
    parts.push(h, f);
  });
  return Buffer.concat(parts);
}

function tshark(file: string, ...args: string[]): string {
  const r = spawnSync('tshark', ['-r', file, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout;
}

describe.skipIf(!hasTshark)('Wireshark decodes our PPP', () => {
  for (const method of ['mschapv2', 'chap-md5', 'pap'] as const) {
    it(`${method} session, IPv6CP rejected, terminate: every frame well formed`, async () => {
      const pair = new Pair({ server: { authMethods: [method] }, client: { ipv6: true } });
      pair.start();
      await pair.run(() => pair.bothUp());
      pair.handle('client', pair.client.close(pair.clock.now(), 'bye'));
      await pair.run(() => pair.bothFinished());
      const file = join(dir, `${method}.pcap`);
      writeFileSync(file, pcap(pair.wire.map((w) => w.frame)));
      expect(tshark(file, '-Y', '_ws.malformed || _ws.expert.severity >= "error"')).toBe('');
      const protocols = tshark(file, '-T', 'fields', '-e', 'frame.protocols').trim().split('\n');
      expect(protocols).toHaveLength(pair.wire.length);
      const auth = method === 'pap' ? 'ppp:pap' : 'ppp:chap';
      for (const p of ['ppp:lcp', auth, 'ppp:ipcp', 'ppp:lcp:ipv6cp']) expect(protocols).toContain(p);
      if (method === 'mschapv2') {
        expect(tshark(file, '-Y', 'chap.code == 3', '-T', 'fields', '-e', 'chap.message')).toMatch(
          /^S=[0-9A-F]{40} M=Access granted/,
        );
      }
    });
  }
});

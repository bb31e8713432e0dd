/**
 * `l2tpsec bench tun` runs for real (briefly) and cleans up after itself. It prints figures; this test
 * checks their shape and that packets really went through, never a speed.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it, vi } from 'vitest';
import { runBench } from '../../bench/tun.js';
import { netnsUnavailable } from '../support/netns.js';

const unavailable = netnsUnavailable();

interface Row {
  phase: string;
  size: number;
  packets: number;
  pps: number;
}

describe.skipIf(unavailable !== undefined)(`bench tun (${unavailable ?? 'root'})`, () => {
  it('measures TUN loop/write and native/dgram UDP at 64 and 1400 bytes, leaving no namespace', async () => {
    let out = '';
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out += chunk.toString();
      return true;
    });
    try {
      await runBench({ json: true, seconds: 0.3 });
    } finally {
      spy.mockRestore();
    }
    const rows = JSON.parse(out) as Row[];
    expect(rows.map((r) => `${r.phase}/${r.size}`)).toEqual([
      'loop/64',
      'write/64',
      'loop/1400',
      'write/1400',
      'udp-native/64',
      'udp-dgram/64',
      'udp-native/1400',
      'udp-dgram/1400',
    ]);
    for (const r of rows) expect(r.packets, `${r.phase}/${r.size}`).toBeGreaterThan(0);
    const netns = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    expect(netns).not.toContain(`l2s-benchtun-${process.pid}`);
    expect(execFileSync('ip', ['-o', 'link'], { encoding: 'utf8' })).not.toMatch(/l2sbench\d/);
  });
});

/** The crypto benchmark runs end to end and reports every figure it promises (timings are not judged). */
import { describe, expect, it, vi } from 'vitest';
import { runBench } from '../../bench/crypto.js';

describe('l2tpsec bench crypto', () => {
  it('--json lists packets/s and Gbit/s per primitive, size and backend, and DH ops/s per group', async () => {
    const chunks: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => {
      chunks.push(String(c));
      return true;
    });
    try {
      await runBench({ json: true, seconds: 0.001 });
    } finally {
      spy.mockRestore();
    }
    const figures = JSON.parse(chunks.join('')) as {
      kind: string;
      primitive?: string;
      group?: number;
      backend: string;
      bytes?: number;
      packetsPerSecond?: number;
      gbitPerSecond?: number;
      opsPerSecond?: number;
    }[];
    const prims = figures.filter((f) => f.kind === 'primitive');
    for (const name of [
      'aes-128-cbc encrypt',
      '3des-cbc encrypt',
      'aes-128-gcm-16 seal',
      'hmac-sha256-128',
    ]) {
      for (const bytes of [64, 512, 1400]) {
        for (const backend of ['node', 'noble']) {
          const f = prims.find((p) => p.primitive === name && p.bytes === bytes && p.backend === backend);
          expect(f?.packetsPerSecond, `${name} ${bytes} ${backend}`).toBeGreaterThan(0);
          expect(f?.gbitPerSecond).toBeCloseTo(((f?.packetsPerSecond ?? 0) * bytes * 8) / 1e9, 2);
        }
      }
    }
    const groups = new Set(
      figures.filter((f) => f.kind === 'dh' && (f.opsPerSecond ?? 0) > 0).map((f) => f.group),
    );
    for (const g of [1, 2, 5, 14, 19, 20, 21]) expect(groups.has(g)).toBe(true);
  });
});

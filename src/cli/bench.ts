/**
 * `l2tpsec bench <kind>`: each kind is a module under bench/ exporting `runBench`. Benchmarks print
 * figures (a table, or JSON with --json); they never assert timings.
 */
import type { Command } from 'commander';

export interface BenchOptions {
  json: boolean;
  /** Seconds per measurement (each module picks its own default when undefined). */
  seconds: number | undefined;
}

export interface BenchModule {
  runBench(opts: BenchOptions): Promise<void>;
}

export const BENCH_KINDS = ['crypto', 'esp', 'ike', 'tun', 'e2e'] as const;

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description(`measure throughput: ${BENCH_KINDS.join(', ')}`)
    .argument('<kind>', `what to measure (${BENCH_KINDS.join(' | ')})`)
    .option('--json', 'print machine-readable JSON instead of a table', false)
    .option('--seconds <n>', 'seconds per measurement', (v) => Number.parseFloat(v))
    .action(async (kind: string, opts: { json: boolean; seconds?: number }) => {
      if (!(BENCH_KINDS as readonly string[]).includes(kind)) {
        throw new Error(`unknown benchmark '${kind}' (one of: ${BENCH_KINDS.join(', ')})`);
      }
      const mod = (await import(`../../bench/${kind}.js`)) as BenchModule;
      await mod.runBench({ json: opts.json, seconds: opts.seconds });
    });
}

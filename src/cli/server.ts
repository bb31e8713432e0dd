/**
 * `l2tpsec server [--config FILE] [--listen ADDR] [--control PATH] [--metrics ADDR:PORT]`: runs the VPN server in the foreground
 * on its embedded default (hwdsl2-compatible VPN_* variables) plus an optional YAML file. SIGTERM/SIGINT
 * shut down gracefully; SIGHUP re-reads the users file.
 */
import type { Command } from 'commander';
import { ConfigError, describeGenerated, loadConfig } from '../server/config.js';
import { L2tpsecServer } from '../server/server.js';
import { createLogger } from '../util/log.js';

export function register(program: Command): void {
  program
    .command('server')
    .description('run the L2TP/IPsec VPN server (UDP 500 and 4500) in the foreground')
    .option('--config <file>', 'YAML configuration file')
    .option(
      '--listen <addr>',
      'listen on this local IPv4 address (repeatable; default: every address)',
      collect,
      [],
    )
    .option('--control <path>', 'control socket for `l2tpsec status`')
    .option('--metrics <addr:port>', 'serve Prometheus metrics on http://ADDR:PORT/metrics (default: off)')
    .action(async (opts: { config?: string; listen: string[]; control?: string; metrics?: string }) => {
      let cfg: ReturnType<typeof loadConfig>;
      try {
        cfg = loadConfig({
          configFile: opts.config,
          ...(opts.listen.length > 0 ? { listen: opts.listen } : {}),
          ...(opts.control ? { control: opts.control } : {}),
          ...(opts.metrics ? { metrics: opts.metrics } : {}),
        });
      } catch (err) {
        if (err instanceof ConfigError) {
          process.stderr.write(`${err.message}\n`);
          process.exitCode = 2;
          return;
        }
        throw err;
      }
      const log = createLogger({ level: cfg.logging.level, pretty: cfg.logging.pretty });
      for (const w of cfg.warnings) log.warn(w);
      for (const line of describeGenerated(cfg)) process.stdout.write(`${line}\n`);
      // Signals are caught before start-up: one arriving while the server starts (or right after its
      // "listening" line) must still shut it down gracefully, never kill it with Node's default action.
      let signalled: string | undefined;
      let onSignal: ((signal: string) => void) | undefined;
      let server: L2tpsecServer | undefined;
      const catchSignal = (signal: string) => {
        signalled ??= signal;
        onSignal?.(signal);
      };
      const onTerm = () => catchSignal('SIGTERM');
      const onInt = () => catchSignal('SIGINT');
      const onHup = () => void server?.reload();
      process.on('SIGTERM', onTerm);
      process.on('SIGINT', onInt);
      process.on('SIGHUP', onHup);
      try {
        server = await L2tpsecServer.start(cfg, log);
        const running = server;
        await new Promise<void>((resolve) => {
          let stopping = false;
          const stop = (signal: string) => {
            if (stopping) return;
            stopping = true;
            log.info({ signal }, 'signal received');
            running.stop().then(resolve, (err: unknown) => {
              log.error({ err }, 'shutdown failed');
              resolve();
            });
          };
          onSignal = stop;
          if (signalled !== undefined) stop(signalled);
        });
      } finally {
        process.off('SIGTERM', onTerm);
        process.off('SIGINT', onInt);
        process.off('SIGHUP', onHup);
      }
      log.flush?.();
    });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/**
 * `l2tpsec server [--config FILE] [--listen ADDR] [--control PATH]`: runs the VPN server in the foreground
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
    .option('--listen <addr>', 'listen on this local IPv4 address (repeatable; default: every address)', collect, [])
    .option('--control <path>', 'control socket for `l2tpsec status`')
    .action(async (opts: { config?: string; listen: string[]; control?: string }) => {
      let cfg: ReturnType<typeof loadConfig>;
      try {
        cfg = loadConfig({
          configFile: opts.config,
          ...(opts.listen.length > 0 ? { listen: opts.listen } : {}),
          ...(opts.control ? { control: opts.control } : {}),
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
      const server = await L2tpsecServer.start(cfg, log);
      await new Promise<void>((resolve) => {
        let stopping = false;
        const stop = (signal: string) => {
          if (stopping) return;
          stopping = true;
          log.info({ signal }, 'signal received');
          server.stop().then(resolve, (err: unknown) => {
            log.error({ err }, 'shutdown failed');
            resolve();
          });
        };
        process.on('SIGTERM', () => stop('SIGTERM'));
        process.on('SIGINT', () => stop('SIGINT'));
        process.on('SIGHUP', () => void server.reload());
      });
      log.flush?.();
    });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

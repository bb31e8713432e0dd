/**
 * `l2tpsec disconnect <user|address> [--json] [--control PATH]`: ends the running server's sessions of a
 * user name or an assigned tunnel address, over its control socket. The sessions get an LCP
 * Terminate-Request and an L2TP CDN; exit status 1 when nothing matched.
 */
import type { Command } from 'commander';
import { DEFAULT_CONTROL_SOCKET } from '../server/config.js';
import { requestDisconnect } from '../server/control-socket.js';

export function register(program: Command): void {
  program
    .command('disconnect')
    .description("end a user's sessions (by user name or assigned address) on the running server")
    .argument('<target>', 'user name or assigned tunnel address')
    .option('--json', 'print machine-readable JSON', false)
    .option('--control <path>', `control socket (default: $L2TPSEC_CONTROL or ${DEFAULT_CONTROL_SOCKET})`)
    .action(async (target: string, opts: { json: boolean; control?: string }) => {
      const path = opts.control ?? process.env.L2TPSEC_CONTROL ?? DEFAULT_CONTROL_SOCKET;
      const result = await requestDisconnect(path, target);
      if (opts.json) process.stdout.write(`${JSON.stringify(result)}\n`);
      else if (result.disconnected.length === 0) process.stdout.write(`no session of '${target}'\n`);
      else
        for (const s of result.disconnected)
          process.stdout.write(`disconnecting ${s.user} (${s.assignedAddress})\n`);
      if (result.disconnected.length === 0) process.exitCode = 1;
    });
}

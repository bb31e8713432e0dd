/**
 * The `l2tpsec` command line: argument parsing and output only, no protocol logic (DESIGN.md). Each
 * command lives in its own module and is loaded on demand, so `l2tpsec bench crypto` does not pay for the
 * server's start-up.
 */
import { Command } from 'commander';
import { registerBench } from './bench.js';

export async function main(argv: readonly string[]): Promise<void> {
  const program = new Command();
  program
    .name('l2tpsec')
    .description('L2TP/IPsec VPN server and client, entirely in userspace')
    .version('0.1.0')
    .showHelpAfterError();
  registerBench(program);
  await registerOptional(program, './server.js');
  await registerOptional(program, './connect.js');
  await registerOptional(program, './status.js');
  await registerOptional(program, './disconnect.js');
  await program.parseAsync(argv as string[]);
}

interface CommandModule {
  register(program: Command): void;
}

/** Commands whose modules are not built yet are simply absent from `--help`. */
async function registerOptional(program: Command, path: string): Promise<void> {
  let mod: CommandModule;
  try {
    mod = (await import(path)) as CommandModule;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') return;
    throw err;
  }
  mod.register(program);
}

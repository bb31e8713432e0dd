/**
 * Runs `l2tpsec-initiator.mjs` (l2tpsec's IKEv1 engine as initiator, its own process) inside a test
 * namespace against `peer`, and parses the JSON event lines it prints.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Charon } from '../../support/charon.js';
import type { Netns } from '../../support/netns.js';

const INITIATOR = join(dirname(fileURLToPath(import.meta.url)), 'l2tpsec-initiator.mjs');

export interface InitiatorEvent {
  readonly event: string;
  readonly [k: string]: unknown;
}

export interface InitiatorRun {
  readonly code: number | null;
  readonly events: InitiatorEvent[];
  /** The initiator's output and the end of charon's log, for failure messages. */
  readonly context: string;
}

/**
 * `args` carries the authentication (`--psk K`, or `--cert C --key K --ca CA`) and any `--lifetime`; the
 * process gets `timeoutS` seconds and the exec ten more.
 */
export async function runInitiator(
  ns: Netns,
  at: { address: string; peer: string; charon: Charon },
  args: readonly string[],
  timeoutS: number,
  logLines?: number,
): Promise<InitiatorRun> {
  const r = await ns.exec(
    [
      process.execPath,
      INITIATOR,
      '--address',
      at.address,
      '--peer',
      at.peer,
      ...args,
      '--timeout',
      String(timeoutS),
    ],
    { timeoutMs: (timeoutS + 10) * 1000 },
  );
  const events = r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as InitiatorEvent);
  const context = `${r.stdout}${r.stderr}\n--- charon (responder)\n${at.charon.logTail(logLines)}`;
  return { code: r.code, events, context };
}

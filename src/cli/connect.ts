/**
 * `l2tpsec connect --server ADDR (--psk KEY | --cert C --key K --ca CA) --user U --password P [--tun NAME]`:
 * the built-in client, in the foreground until SIGINT/SIGTERM (clean teardown) or until the server ends the session.
 * Exit status: 0 after a clean teardown, 1 when the connection failed (the message names the stage).
 */

import { readFileSync } from 'node:fs';
import { type Command, InvalidArgumentError } from 'commander';
import { ConnectError, L2tpsecClient } from '../client/client.js';
import { type CertCredentials, certCredentialsFromPem } from '../ike/auth/credentials.js';
import type { AuthMethod } from '../ppp/auth-protocol.js';
import { AUTH_METHODS } from '../ppp/auth-protocol.js';
import { createLogger } from '../util/log.js';

interface ConnectCliOptions {
  server: string;
  psk?: string;
  cert?: string;
  key?: string;
  ca?: string;
  user: string;
  password: string;
  tun?: string;
  route: string[];
  auth?: string;
  timeout: number;
  ikeLifetime?: number;
  json: boolean;
  logLevel: string;
}

export function register(program: Command): void {
  program
    .command('connect')
    .description('connect to an L2TP/IPsec server and carry traffic through a TUN (foreground)')
    .requiredOption('--server <addr>', 'server IPv4 address')
    .option('--psk <key>', 'IPsec pre-shared key (or --cert, --key and --ca)')
    .option('--cert <file>', 'our X.509 certificate (PEM, chain after it): RSA-signature authentication')
    .option('--key <file>', "our certificate's RSA private key (PEM)")
    .option('--ca <file>', 'CA certificate(s) (PEM) the server certificate must chain to')
    .requiredOption('--user <name>', 'PPP user name')
    .requiredOption('--password <password>', 'PPP password')
    .option('--tun <name>', 'TUN interface name (default l2tpsec%d)')
    .option('--route <cidr>', 'extra route through the tunnel (repeatable)', collect, [])
    .option('--auth <methods>', `PPP methods to accept, comma separated (${AUTH_METHODS.join(', ')})`)
    .option('--timeout <seconds>', 'give up when not connected after this long', (v) => Number(v), 30)
    .option(
      '--ike-lifetime <seconds>',
      'IKE SA lifetime to propose; re-keyed by a new Main Mode before it ends (default 28800)',
      positiveSeconds,
    )
    .option('--json', 'print events as JSON lines', false)
    .option('--log-level <level>', 'log level', process.env.L2TPSEC_LOG_LEVEL ?? 'info')
    .action(async (opts: ConnectCliOptions) => {
      const log = createLogger({ level: opts.logLevel });
      const say = (event: string, fields: Record<string, unknown>, text: string) =>
        process.stdout.write(opts.json ? `${JSON.stringify({ event, ...fields })}\n` : `${text}\n`);
      const certificates = clientCertificates(opts);
      if (opts.psk === undefined && certificates === undefined)
        throw new Error('give --psk, or --cert, --key and --ca for certificate authentication');
      let authMethods: AuthMethod[] | undefined;
      if (opts.auth) {
        authMethods = opts.auth.split(',').map((m) => m.trim()) as AuthMethod[];
        const bad = authMethods.filter((m) => !AUTH_METHODS.includes(m));
        if (bad.length > 0) throw new Error(`unknown PPP method(s): ${bad.join(', ')}`);
      }
      // Signals are caught from the start: one arriving while connecting gives the attempt up cleanly, and
      // none can fall in the gap before the foreground loop (Node's default action would kill us with the
      // TUN and the server's session left behind).
      const interrupted = new AbortController();
      let onStop: (() => void) | undefined;
      const stop = () => {
        interrupted.abort();
        onStop?.();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      let client: L2tpsecClient;
      try {
        client = await L2tpsecClient.connect({
          server: opts.server,
          psk: opts.psk ?? '',
          ...(certificates ? { certificates } : {}),
          user: opts.user,
          password: opts.password,
          ...(opts.tun ? { tunName: opts.tun } : {}),
          routes: opts.route,
          ...(authMethods ? { authMethods } : {}),
          timeoutMs: opts.timeout * 1000,
          ...(opts.ikeLifetime ? { ikeLifetimeSeconds: opts.ikeLifetime } : {}),
          signal: interrupted.signal,
          log,
        });
      } catch (err) {
        if (err instanceof ConnectError) {
          say(
            'failed',
            { stage: err.stage, message: err.message },
            `connection failed (${err.stage}): ${err.message}`,
          );
          process.exitCode = 1;
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          return;
        }
        throw err;
      }
      const info = client.info!;
      say(
        'connected',
        { ...info },
        `connected: ${info.address} on ${info.tun}, server ${info.serverAddress}, DNS ${info.dns.join(' ') || 'none'}`,
      );
      const reason = await new Promise<string>((resolve) => {
        // The first answer wins: a signal is a local teardown even though close() then ends the session.
        if (interrupted.signal.aborted) resolve('local');
        onStop = () => resolve('local');
        client.ended.then(resolve);
      });
      await client.close();
      say('disconnected', { reason }, `disconnected: ${reason}`);
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    });
}

/** --cert, --key and --ca go together: all three or none. */
function clientCertificates(opts: ConnectCliOptions): CertCredentials | undefined {
  const given = [opts.cert, opts.key, opts.ca].filter((v) => v !== undefined).length;
  if (given === 0) return undefined;
  if (opts.cert === undefined || opts.key === undefined || opts.ca === undefined)
    throw new Error('--cert, --key and --ca go together');
  return certCredentialsFromPem({
    certificate: readFileSync(opts.cert, 'utf8'),
    privateKey: readFileSync(opts.key, 'utf8'),
    caCertificates: readFileSync(opts.ca, 'utf8'),
  });
}

function positiveSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 60) throw new InvalidArgumentError('expected whole seconds, at least 60');
  return n;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

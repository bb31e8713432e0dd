/**
 * The server side of a case: `l2tpsec server` started inside the case's namespace, its configuration
 * derived from the case, its log kept with the case's artifacts. The server's exact command-line flags are
 * the lead's to fix; everything about them lives in `serverCommand` and `serverConfigYaml` below.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { PppAuth } from './client-config.js';
import type { TestNetwork } from './netns.js';
import { repoRoot } from './paths.js';
import { stop, track } from './processes.js';

export interface ServerSpec {
  psk: string;
  user: string;
  password: string;
  /** The tunnel network, the server's own tunnel address and the dynamic pool inside it. */
  network: string;
  localAddress: string;
  pool: string;
  /** PPP authentication the server offers; PAP only when a case asks for it. */
  pppAuth: readonly PppAuth[];
  /** Force UDP encapsulation even without NAT (a client with forceencaps=no must still land on 4500). */
  forceEncapsulation?: boolean;
  rawEsp?: boolean;
}

export interface RunningServer {
  log: string;
  stop(): Promise<void>;
}

/**
 * The YAML for `--config` (schema: src/server/config-schema.ts). Users and PSK go through the hwdsl2-style
 * environment (VPN_IPSEC_PSK, VPN_USER, VPN_PASSWORD), which the server reads with precedence over the file.
 * `pppAuth` has no key in the schema yet: until it has, the server's default methods apply.
 */
/** The client configuration's PPP method names → the server configuration's (src/server/config-schema.ts). */
const SERVER_AUTH_NAME: Readonly<Record<PppAuth, string>> = {
  'mschap-v2': 'mschapv2',
  chap: 'chap-md5',
  pap: 'pap',
};

export function serverConfigYaml(
  spec: ServerSpec,
  net: Pick<TestNetwork, 'kind' | 'serverAddr'>,
  controlSocket: string,
): string {
  const config = {
    // Behind slirp every client arrives from 127.0.0.1 of the namespace; on the bridge at 192.0.2.1.
    listen: [net.kind === 'bridge' ? net.serverAddr : '127.0.0.1'],
    rawEsp: spec.rawEsp ?? net.kind === 'bridge',
    l2tp: { network: spec.network, localAddress: spec.localAddress, pool: spec.pool },
    ike: { forceEncapsulation: spec.forceEncapsulation ?? false },
    ppp: { authMethods: spec.pppAuth.map((a) => SERVER_AUTH_NAME[a]) },
    logging: { level: 'debug', pretty: false },
    control: { socket: controlSocket },
  };
  return stringify(config);
}

/** The hwdsl2-style variables carrying the case's credentials (src/server/config.ts reads them). */
export function serverEnv(spec: ServerSpec): Record<string, string> {
  return { VPN_IPSEC_PSK: spec.psk, VPN_USER: spec.user, VPN_PASSWORD: spec.password };
}

export function serverCommand(configPath: string): string[] {
  return [process.execPath, join(repoRoot(), 'bin/l2tpsec.js'), 'server', '--config', configPath];
}

function udpPortBound(ns: string, port: number): boolean {
  try {
    const out = execFileSync('ip', ['netns', 'exec', ns, 'ss', '-Hlun', `sport = :${port}`], {
      encoding: 'utf8',
    });
    return out.trim() !== '';
  } catch {
    return false;
  }
}

/** Starts the server in the case's namespace and waits until it listens on UDP 500 and 4500. */
export async function startServer(spec: ServerSpec, net: TestNetwork, dir: string): Promise<RunningServer> {
  const configPath = join(dir, 'server.yaml');
  const log = join(dir, 'server.log');
  writeFileSync(configPath, serverConfigYaml(spec, net, join(dir, 'control.sock')));
  const fd = openSync(log, 'w');
  const [cmd, ...args] = serverCommand(configPath);
  const child: ChildProcess = track(
    spawn('ip', ['netns', 'exec', net.ns, cmd, ...args], {
      stdio: ['ignore', fd, fd],
      cwd: repoRoot(),
      env: {
        ...process.env,
        ...serverEnv(spec),
        L2TPSEC_LOG_LEVEL: 'debug',
      },
    }),
  );
  const deadline = Date.now() + 20_000;
  while (!(udpPortBound(net.ns, 500) && udpPortBound(net.ns, 4500))) {
    if (child.exitCode !== null)
      throw new Error(`l2tpsec server exited ${child.exitCode} at start (see ${log})`);
    if (Date.now() > deadline) {
      await stop(child, 'SIGKILL');
      throw new Error(`l2tpsec server did not listen on UDP 500/4500 within 20 s (see ${log})`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { log, stop: () => stop(child, 'SIGTERM', 5000) };
}

/**
 * A private FreeRADIUS 3.2 for system tests: the packaged configuration copied to a temporary directory,
 * reduced to one virtual server listening on free loopback ports (auth + acct), one client (127.0.0.1 with
 * a random secret and `require_message_authenticator = yes`), a users file written by the test, and the
 * `detail` module writing accounting records under the temp directory. Every reply is signed with
 * Message-Authenticator except those to `LEGACY_USER`. Started in the foreground with
 * `-X` (it stays attached to this process) and stopped by `stop()`, which also removes the directory.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PACKAGED_CONFIG = '/etc/freeradius/3.0';

/** Replies to this user carry no Message-Authenticator (like an unpatched server's). */
export const LEGACY_USER = 'legacy';

/** Why FreeRADIUS cannot run here, or undefined when it can. Under CI=true a skip is a failure. */
export function freeradiusUnavailable(): string | undefined {
  try {
    execFileSync('freeradius', ['-v'], { stdio: 'ignore' });
  } catch {
    return 'needs the freeradius binary (Debian package freeradius; scripts/test-env.sh installs it)';
  }
  if (!readdirSync('/etc/freeradius', { withFileTypes: true }).some((d) => d.name === '3.0')) {
    return `needs ${PACKAGED_CONFIG}`;
  }
  return undefined;
}

/** A UDP port free on 127.0.0.1 right now (bound once and released). */
async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => resolve());
  });
  const port = s.address().port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

export interface FreeRadiusOptions {
  /** The `mods-config/files/authorize` text (FreeRADIUS users-file syntax). */
  readonly users: string;
  /** Run inside this network namespace (its own loopback); default: this process's namespace. */
  readonly netns?: string;
}

export class FreeRadius {
  private output = '';

  private constructor(
    readonly dir: string,
    readonly secret: string,
    readonly authPort: number,
    readonly acctPort: number,
    private readonly child: ChildProcess,
  ) {
    child.stdout?.on('data', (d: Buffer) => this.appendOutput(d));
    child.stderr?.on('data', (d: Buffer) => this.appendOutput(d));
  }

  private appendOutput(d: Buffer): void {
    // Keep the tail only: -X logs every request in detail.
    this.output = (this.output + d.toString('utf8')).slice(-200_000);
  }

  get log(): string {
    return this.output;
  }

  /** The accounting detail records written so far (all files under radacct/), concatenated. */
  detailRecords(): string {
    const root = join(this.dir, 'log', 'radacct');
    let text = '';
    const walk = (d: string): void => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const p = join(d, e.name);
        if (e.isDirectory()) walk(p);
        else text += readFileSync(p, 'utf8');
      }
    };
    try {
      walk(root);
    } catch {
      return '';
    }
    return text;
  }

  static async start(opts: FreeRadiusOptions): Promise<FreeRadius> {
    const dir = mkdtempSync(join(tmpdir(), 'l2s-radius-'));
    const raddb = join(dir, 'raddb');
    try {
      cpSync(PACKAGED_CONFIG, raddb, { recursive: true, verbatimSymlinks: true });
      mkdirSync(join(dir, 'log', 'radacct'), { recursive: true });
      mkdirSync(join(dir, 'run'), { recursive: true });
      const secret = randomBytes(12).toString('hex');
      const authPort = await freeUdpPort();
      let acctPort = await freeUdpPort();
      while (acctPort === authPort) acctPort = await freeUdpPort();

      let main = readFileSync(join(raddb, 'radiusd.conf'), 'utf8');
      main = main
        .replace(/^raddbdir = .*$/m, `raddbdir = ${raddb}`)
        .replace(/^logdir = .*$/m, `logdir = ${join(dir, 'log')}`)
        .replace(/^run_dir = .*$/m, `run_dir = ${join(dir, 'run')}`)
        .replace(/^(\s*)(user|group) = freerad$/gm, '$1#$2 = freerad')
        .replace(/^proxy_requests\s*=.*$/m, 'proxy_requests = no')
        // Rejects at once: the tests time out on silence, not on the anti-brute-force delay.
        .replace(/^(\s*)reject_delay = \d+$/m, '$1reject_delay = 0');
      writeFileSync(join(raddb, 'radiusd.conf'), main);

      // Only what the test needs: EAP (certificates) and the inner tunnel are left out.
      for (const m of ['eap', 'ntlm_auth', 'dynamic_clients', 'replicate', 'soh']) {
        rmSync(join(raddb, 'mods-enabled', m), { force: true });
      }
      for (const s of readdirSync(join(raddb, 'sites-enabled'))) rmSync(join(raddb, 'sites-enabled', s));
      writeFileSync(
        join(raddb, 'sites-enabled', 'l2tpsec-test'),
        `server default {
  listen {
    type = auth
    ipaddr = 127.0.0.1
    port = ${authPort}
  }
  listen {
    type = acct
    ipaddr = 127.0.0.1
    port = ${acctPort}
  }
  authorize {
    preprocess
    chap
    mschap
    files
    pap
  }
  authenticate {
    Auth-Type PAP {
      pap
    }
    Auth-Type CHAP {
      chap
    }
    Auth-Type MS-CHAP {
      mschap
    }
  }
  preacct {
    preprocess
    acct_unique
  }
  accounting {
    detail
  }
  # FreeRADIUS before 3.2.5 signs replies with Message-Authenticator only when told to (the BlastRADIUS
  # advisory's recommended setting); the user "${LEGACY_USER}" is left unsigned to prove the client drops it.
  post-auth {
    if (User-Name != "${LEGACY_USER}") {
      update reply {
        Message-Authenticator := 0x00
      }
    }
    Post-Auth-Type REJECT {
      attr_filter.access_reject
      if (User-Name != "${LEGACY_USER}") {
        update reply {
          Message-Authenticator := 0x00
        }
      }
    }
  }
}
`,
      );
      writeFileSync(
        join(raddb, 'clients.conf'),
        `client l2tpsec-test {
  ipaddr = 127.0.0.1
  secret = ${secret}
  require_message_authenticator = yes
  nas_type = other
}
`,
      );
      writeFileSync(join(raddb, 'mods-config', 'files', 'authorize'), opts.users);

      const argv = ['freeradius', '-X', '-d', raddb];
      const full = opts.netns === undefined ? argv : ['ip', 'netns', 'exec', opts.netns, ...argv];
      const child = spawn(full[0], full.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
      const server = new FreeRadius(dir, secret, authPort, acctPort, child);
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`freeradius not ready in 30 s:\n${server.log}`)),
          30_000,
        );
        const check = (): void => {
          if (server.log.includes('Ready to process requests')) {
            clearTimeout(timer);
            resolve();
          }
        };
        child.stdout?.on('data', check);
        child.once('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`freeradius exited (${code}) before ready:\n${server.log.slice(-4000)}`));
        });
      });
      return server;
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
  }

  /** Ends the server (by its own pid) and removes the directory. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

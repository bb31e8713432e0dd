/**
 * strongSwan's charon as an IKEv1 peer inside a test network namespace.
 *
 * The kernel here has no ESP, so charon's kernel-ipsec backend is the load-tester plugin with
 * `fake_kernel = yes` (built by scripts/build-charon-load-tester.sh): SAs are "installed" without a data
 * path, which is all an IKE interop test needs. charon only loads plugins from its compiled-in directory, so
 * a copy of that directory plus the built plugin is bind-mounted over it inside charon's own mount namespace,
 * together with a private /run for its hard-coded pidfile. Each instance has its own strongswan.conf, vici
 * socket and swanctl directory; connections are loaded and initiated with swanctl, as an administrator would.
 */
import { type ChildProcess, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  cpSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Netns, RunResult } from './netns.js';
import { run } from './netns.js';

export const CHARON = '/usr/lib/ipsec/charon';
const PLUGIN_DIR = '/usr/lib/ipsec/plugins';
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function installedVersion(): string | undefined {
  try {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own field syntax
    return execFileSync('dpkg-query', ['-W', '-f=${Version}', 'strongswan-libcharon'], { encoding: 'utf8' });
  } catch {
    return undefined;
  }
}

/** Path of the load-tester plugin built for the installed strongSwan, or undefined when not built. */
export function loadTesterPlugin(): string | undefined {
  const version = installedVersion();
  if (!version) return undefined;
  const path = join(REPO, '.cache/charon-load-tester', version, 'libstrongswan-load-tester.so');
  return existsSync(path) ? path : undefined;
}

/** Why charon tests cannot run here (undefined when they can). */
export function charonUnavailable(): string | undefined {
  if (!existsSync(CHARON)) return `${CHARON} missing (run scripts/test-env.sh)`;
  if (!existsSync('/usr/sbin/swanctl')) return 'swanctl missing (run scripts/test-env.sh)';
  if (!loadTesterPlugin()) return 'load-tester plugin not built (run scripts/build-charon-load-tester.sh)';
  return undefined;
}

/**
 * One IKEv1 PSK connection as swanctl.conf expresses it, shaped like NetworkManager-l2tp's (transport mode,
 * both traffic selectors udp/1701).
 */
export interface Ikev1Connection {
  readonly name: string;
  readonly localAddr: string;
  readonly remoteAddr: string;
  readonly psk: string;
  /** IKE proposals, swanctl syntax, e.g. `aes128-sha1-modp2048,3des-sha1-modp1024`. */
  readonly ike: string;
  /** ESP proposals, e.g. `aes128-sha1`, `aes128-sha1-modp2048` (PFS) or `aes128gcm16`. */
  readonly esp: string;
  /** Force UDP encapsulation (swanctl `encap`), i.e. pretend to be behind NAT. */
  readonly encap: boolean;
  readonly aggressive?: boolean;
  /** swanctl `local_ts` / `remote_ts`; default `dynamic[udp/1701]` for both. */
  readonly localTs?: string;
  readonly remoteTs?: string;
  /**
   * The ID the peer must show (swanctl `remote.id`); default its address when `remoteAddr` is one. It also
   * selects the PSK: IKEv1 Main Mode looks the PSK up by the configured IDs (strongSwan phase1.c), and with
   * a remote ID of %any an owned secret matches worse than load-tester's ownerless one (see `loadTesterPsk`).
   */
  readonly remoteId?: string;
  /** Owners of the PSK (swanctl `id-*`); default the two addresses. */
  readonly secretIds?: readonly string[];
  /** IKE SA lifetime in seconds (swanctl rekey_time); default charon's. */
  readonly rekeyTime?: number;
  /** RFC 3706 dead peer detection: R-U-THERE after this many idle seconds; default off. */
  readonly dpdDelay?: number;
  /** IKEv1: declare the peer dead after this many seconds without an answer (swanctl dpd_timeout). */
  readonly dpdTimeout?: number;
}

export function childName(conn: Ikev1Connection): string {
  return `${conn.name}-l2tp`;
}

const isAny = (addr: string) => addr === '%any' || addr === '0.0.0.0/0';

/** The peer's expected ID: an explicit one, else its address (ID_IPV4_ADDR), else none (%any). */
const remoteId = (c: Ikev1Connection) => c.remoteId ?? (isAny(c.remoteAddr) ? undefined : c.remoteAddr);

export function swanctlConf(conns: readonly Ikev1Connection[]): string {
  const out: string[] = ['connections {'];
  for (const c of conns) {
    out.push(
      `  ${c.name} {`,
      '    version = 1',
      `    local_addrs = ${c.localAddr}`,
      `    remote_addrs = ${c.remoteAddr}`,
      `    proposals = ${c.ike}`,
      `    encap = ${c.encap ? 'yes' : 'no'}`,
      `    aggressive = ${c.aggressive ? 'yes' : 'no'}`,
      `    dpd_delay = ${c.dpdDelay ?? 0}`,
      ...(c.dpdTimeout ? [`    dpd_timeout = ${c.dpdTimeout}`] : []),
      ...(c.rekeyTime ? [`    rekey_time = ${c.rekeyTime}`] : []),
      isAny(c.localAddr) ? '    local { auth = psk }' : `    local { auth = psk\n      id = ${c.localAddr} }`,
      remoteId(c) ? `    remote { auth = psk\n      id = ${remoteId(c)} }` : '    remote { auth = psk }',
      '    children {',
      `      ${childName(c)} {`,
      '        mode = transport',
      `        esp_proposals = ${c.esp}`,
      `        local_ts = ${c.localTs ?? 'dynamic[udp/1701]'}`,
      `        remote_ts = ${c.remoteTs ?? 'dynamic[udp/1701]'}`,
      '      }',
      '    }',
      '  }',
    );
  }
  out.push('}', 'secrets {');
  conns.forEach((c, i) => {
    const owners = c.secretIds ?? [c.localAddr, c.remoteAddr].filter((a) => !isAny(a));
    out.push(
      `  ike-${i} {`,
      `    secret = "${c.psk}"`,
      ...owners.map((id, j) => `    id-${j} = ${id}`),
      '  }',
    );
  });
  out.push('}', '');
  return out.join('\n');
}

/** A node of swanctl's `--raw` output: `key=value`, `key [a b]` lists and `name {…}` sections. */
export type ViciValue = string | string[] | ViciSection;
export interface ViciSection {
  [key: string]: ViciValue;
}

/**
 * Parses swanctl `--raw` output (one or more `<message> {…}` dumps) into their sections, in order. Lists
 * are `key=[item item]`, and an item may hold brackets of its own (`198.18.0.1/32[udp/l2f]`).
 */
export function parseSwanctlRaw(text: string): ViciSection[] {
  let i = 0;
  const space = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  /** Up to whitespace, a brace or `=`, or (inside a list) the list's own closing bracket. */
  const scalar = (stops: RegExp) => {
    const from = i;
    let depth = 0;
    while (i < text.length) {
      const ch = text[i];
      if (ch === '[') depth++;
      else if (ch === ']' && depth-- === 0) break;
      else if (depth === 0 && stops.test(ch)) break;
      i++;
    }
    return text.slice(from, i);
  };
  const section = (): ViciSection => {
    const out: ViciSection = {};
    for (;;) {
      space();
      if (i >= text.length) return out;
      if (text[i] === '}') {
        i++;
        return out;
      }
      const key = scalar(/[\s{}=]/);
      if (!key) {
        i++; // a stray character: skip it
        continue;
      }
      if (text[i] === '=') {
        i++;
        if (text[i] === '[') {
          i++;
          const items: string[] = [];
          for (;;) {
            space();
            if (i >= text.length) break;
            if (text[i] === ']') {
              i++;
              break;
            }
            items.push(scalar(/\s/));
          }
          out[key] = items;
        } else {
          out[key] = scalar(/[\s{}]/);
        }
      } else {
        space();
        if (text[i] === '{') {
          i++;
          out[key] = section();
        }
      }
    }
  };
  const messages: ViciSection[] = [];
  while (i < text.length) {
    space();
    if (text[i] === '{') {
      i++;
      messages.push(section());
    } else {
      scalar(/[\s{]/);
      if (i < text.length && text[i] !== '{') i++;
    }
  }
  return messages;
}

export interface ChildSaInfo {
  readonly name: string;
  readonly state: string;
  readonly mode: string;
  readonly protocol: string;
  readonly encap: boolean;
  /** SPIs as charon prints them (8 hex digits). */
  readonly spiIn: string;
  readonly spiOut: string;
  readonly encrAlg: string | undefined;
  readonly encrKeysize: string | undefined;
  readonly integAlg: string | undefined;
  readonly dhGroup: string | undefined;
  readonly localTs: readonly string[];
  readonly remoteTs: readonly string[];
  readonly raw: ViciSection;
}

export interface IkeSaInfo {
  readonly name: string;
  readonly version: string;
  readonly state: string;
  readonly localPort: string;
  readonly remotePort: string;
  readonly natRemote: boolean;
  readonly encrAlg: string | undefined;
  readonly encrKeysize: string | undefined;
  readonly integAlg: string | undefined;
  readonly dhGroup: string | undefined;
  readonly children: readonly ChildSaInfo[];
  readonly raw: ViciSection;
}

const str = (v: ViciValue | undefined): string | undefined => (typeof v === 'string' ? v : undefined);
const list = (v: ViciValue | undefined): string[] => (Array.isArray(v) ? v : []);

/** IKE SAs (with their CHILD_SAs) from `swanctl --list-sas --raw` output. */
export function parseListSas(text: string): IkeSaInfo[] {
  const out: IkeSaInfo[] = [];
  for (const msg of parseSwanctlRaw(text)) {
    for (const [name, v] of Object.entries(msg)) {
      if (typeof v !== 'object' || Array.isArray(v)) continue;
      const childSection = v['child-sas'];
      const children: ChildSaInfo[] = [];
      if (childSection && typeof childSection === 'object' && !Array.isArray(childSection)) {
        for (const c of Object.values(childSection)) {
          if (typeof c !== 'object' || Array.isArray(c)) continue;
          children.push({
            name: str(c.name) ?? '',
            state: str(c.state) ?? '',
            mode: str(c.mode) ?? '',
            protocol: str(c.protocol) ?? '',
            encap: c.encap === 'yes',
            spiIn: str(c['spi-in']) ?? '',
            spiOut: str(c['spi-out']) ?? '',
            encrAlg: str(c['encr-alg']),
            encrKeysize: str(c['encr-keysize']),
            integAlg: str(c['integ-alg']),
            dhGroup: str(c['dh-group']),
            localTs: list(c['local-ts']),
            remoteTs: list(c['remote-ts']),
            raw: c,
          });
        }
      }
      out.push({
        name,
        version: str(v.version) ?? '',
        state: str(v.state) ?? '',
        localPort: str(v['local-port']) ?? '',
        remotePort: str(v['remote-port']) ?? '',
        natRemote: v['nat-remote'] === 'yes' || v['nat-any'] === 'yes',
        encrAlg: str(v['encr-alg']),
        encrKeysize: str(v['encr-keysize']),
        integAlg: str(v['integ-alg']),
        dhGroup: str(v['dh-group']),
        children,
        raw: v,
      });
    }
  }
  return out;
}

export interface InitiateResult {
  /** swanctl reported success and a CHILD_SA of that name is INSTALLED. */
  readonly established: boolean;
  readonly swanctl: RunResult;
  readonly sas: readonly IkeSaInfo[];
}

export interface CharonOptions {
  /** Label in file names and logs. */
  readonly label?: string;
  /**
   * The PSK load-tester's built-in credential set hands out for any peer. A connection whose remote ID is
   * %any (a responder for any client) gets this key rather than its own: `%any` matches an ownerless key
   * (ID_MATCH_ANY) better than an owned one (credential_manager.c get_shared). So a responder must set it to
   * its PSK; the default is a random key no peer knows, so that if it were ever chosen the test would fail.
   */
  readonly loadTesterPsk?: string;
  /** charon retransmission (strongswan.conf): defaults 3 tries, 2.0 s first timeout, to keep tests short. */
  readonly retransmitTries?: number;
  readonly retransmitTimeout?: number;
}

const CHARON_PLUGINS = [
  'random',
  'nonce',
  'openssl',
  'aes',
  'sha1',
  'sha2',
  'md5',
  'hmac',
  'kdf',
  'gmp',
  'pem',
  'pkcs1',
  'x509',
  'pubkey',
  'socket-default',
  'vici',
  // Before kernel-netlink: the first kernel-ipsec backend registered wins (kernel_interface.c), and
  // load-tester's fake one must be it; kernel-netlink still provides kernel-net (addresses, routes).
  'load-tester',
  'kernel-netlink',
];

function strongswanConf(dir: string, opts: CharonOptions): string {
  return `# generated by test/support/charon.ts
charon {
  load_modular = no
  load = ${CHARON_PLUGINS.join(' ')}
  threads = 6
  retransmit_tries = ${opts.retransmitTries ?? 3}
  retransmit_timeout = ${(opts.retransmitTimeout ?? 2).toFixed(1)}
  install_routes = no
  install_virtual_ip = no
  plugins {
    vici { socket = unix://${dir}/charon.vici }
    load-tester {
      enable = yes
      fake_kernel = yes
      initiators = 0
      preshared_key = "${opts.loadTesterPsk ?? randomBytes(16).toString('hex')}"
    }
  }
  filelog {
    main {
      path = ${dir}/charon.log
      time_format = %H:%M:%S
      flush_line = yes
      default = 1
      ike = 2
      cfg = 1
      enc = 1
      net = 1
    }
  }
  syslog {
    identifier = charon-l2tpsec-test
    daemon { default = -1 }
    auth { default = -1 }
  }
}
swanctl {
  load = random nonce openssl pem pkcs1 x509 pubkey
}
`;
}

export class Charon {
  private constructor(
    readonly ns: Netns,
    readonly dir: string,
    readonly process: ChildProcess,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  /** Starts charon inside `ns`; resolves once its vici socket answers. */
  static async start(ns: Netns, opts: CharonOptions = {}): Promise<Charon> {
    const plugin = loadTesterPlugin();
    if (!plugin) throw new Error('load-tester plugin not built (scripts/build-charon-load-tester.sh)');
    const dir = mkdtempSync(join(tmpdir(), `l2s-charon-${opts.label ?? 'x'}-`));
    const plugins = join(dir, 'plugins');
    cpSync(PLUGIN_DIR, plugins, { recursive: true });
    cpSync(plugin, join(plugins, 'libstrongswan-load-tester.so'));
    mkdirSync(join(dir, 'run'));
    mkdirSync(join(dir, 'swanctl'));
    writeFileSync(join(dir, 'strongswan.conf'), strongswanConf(dir, opts));
    writeFileSync(join(dir, 'swanctl/swanctl.conf'), swanctlConf([]));
    const env = {
      ...process.env,
      STRONGSWAN_CONF: join(dir, 'strongswan.conf'),
      SWANCTL_DIR: join(dir, 'swanctl'),
    };
    // Bind mounts happen in a mount namespace of charon's own (unshare -m), so the host's plugin directory
    // and /run are never touched; exec keeps charon's pid that of the tracked child.
    const script =
      'set -e; mount --make-rprivate /; ' +
      `mount --bind ${plugins} ${PLUGIN_DIR}; mount --bind ${dir}/run /run; exec ${CHARON}`;
    const child = ns.spawn(['unshare', '-m', 'sh', '-c', script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = createWriteStream(join(dir, 'charon.out'));
    child.stdout?.pipe(out);
    child.stderr?.pipe(out);
    const charon = new Charon(ns, dir, child, env);
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`charon exited at start (${child.exitCode ?? child.signalCode}):\n${charon.log()}`);
      }
      if (existsSync(join(dir, 'charon.vici'))) {
        const r = await charon.swanctl(['--stats']);
        if (r.code === 0) return charon;
      }
      if (Date.now() > deadline) {
        await charon.stop();
        throw new Error(`charon did not open its vici socket:\n${charon.log()}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Runs swanctl against this charon's vici socket (swanctl itself needs no namespace). */
  swanctl(args: readonly string[], timeoutMs = 60_000): Promise<RunResult> {
    return run(['swanctl', ...args, '--uri', `unix://${this.dir}/charon.vici`], { env: this.env, timeoutMs });
  }

  /** Replaces the loaded connections and secrets with `conns` (swanctl --load-all). */
  async load(conns: readonly Ikev1Connection[]): Promise<void> {
    writeFileSync(join(this.dir, 'swanctl/swanctl.conf'), swanctlConf(conns));
    const r = await this.swanctl(['--load-all', '--clear', '--noprompt']);
    if (r.code !== 0) throw new Error(`swanctl --load-all failed:\n${r.stdout}${r.stderr}`);
  }

  /** Initiates `conn`'s CHILD_SA (IKEv1 Main Mode or Aggressive Mode, then Quick Mode) and waits for it. */
  async initiate(conn: Ikev1Connection, timeoutS = 40): Promise<InitiateResult> {
    const swanctl = await this.swanctl(
      ['--initiate', '--ike', conn.name, '--child', childName(conn), '--timeout', String(timeoutS)],
      (timeoutS + 10) * 1000,
    );
    const sas = await this.listSas();
    const established =
      swanctl.code === 0 &&
      /initiate completed successfully/.test(swanctl.stdout) &&
      sas.some((s) => s.children.some((c) => c.name === childName(conn) && c.state === 'INSTALLED'));
    return { established, swanctl, sas };
  }

  async listSas(): Promise<IkeSaInfo[]> {
    const r = await this.swanctl(['--list-sas', '--raw', '--noblock']);
    return r.code === 0 ? parseListSas(r.stdout) : [];
  }

  /** Polls until a CHILD_SA named `child` is INSTALLED (charon as responder), or the timeout passes. */
  async waitForChild(child: string, timeoutMs = 30_000): Promise<ChildSaInfo | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const sa of await this.listSas()) {
        const c = sa.children.find((x) => x.name === child && x.state === 'INSTALLED');
        if (c) return c;
      }
      if (Date.now() > deadline) return undefined;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /**
   * Rekeys `conn`'s CHILD_SA now (a new Quick Mode on the same IKE SA). charon's own rekey timers follow the
   * kernel's soft-expire events, which the fake kernel never sends, so a test asks for it explicitly.
   */
  async rekeyChild(conn: Ikev1Connection): Promise<RunResult> {
    return this.swanctl(['--rekey', '--child', childName(conn)]);
  }

  /** Terminates every IKE SA of `conn` (sends the DELETEs). */
  async terminate(conn: Ikev1Connection): Promise<RunResult> {
    return this.swanctl(['--terminate', '--ike', conn.name, '--timeout', '5', '--force']);
  }

  /** charon's log file and its stdout/stderr, for failure messages. */
  log(): string {
    const read = (f: string) =>
      existsSync(join(this.dir, f)) ? readFileSync(join(this.dir, f), 'utf8') : '';
    return `${read('charon.log')}${read('charon.out')}`;
  }

  /** The last `lines` lines of the log, for assertion messages. */
  logTail(lines = 60): string {
    return this.log().split('\n').slice(-lines).join('\n');
  }

  /** Stops charon and removes its files (kept when L2S_KEEP_LOGS is set, for debugging). */
  async dispose(): Promise<void> {
    await this.stop();
    if (!process.env.L2S_KEEP_LOGS) rmSync(this.dir, { recursive: true, force: true });
  }

  async stop(): Promise<void> {
    const c = this.process;
    if (c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((done) => {
      const timer = setTimeout(() => c.kill('SIGKILL'), 5000);
      c.once('exit', () => {
        clearTimeout(timer);
        done();
      });
      c.kill('SIGTERM');
    });
  }
}

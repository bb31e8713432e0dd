/**
 * The server's configuration, from two sources merged into one typed `ServerConfig`:
 *
 * - the embedded default, driven by the environment variables of hwdsl2/setup-ipsec-vpn (the most used
 *   L2TP/IPsec server setup), so its users can switch with the same `VPN_*` values; with no PSK or user
 *   given, strong ones are generated (and the caller prints them once, `describeGenerated`);
 * - an optional YAML file (`--config FILE`, schema in config-schema.ts) for everything else.
 *
 * Precedence: command-line flags > environment variables > file > built-in defaults.
 * Errors name the key and, for the file, its line and column.
 */
import { readFileSync } from 'node:fs';
import { type Document, isMap, isScalar, LineCounter, parseDocument } from 'yaml';
import type { ZodError } from 'zod';
import type { RadiusAaaOptions } from '../aaa/radius/radius-aaa.js';
import type { CipherName, DhGroupId, HashName, IntegrityName } from '../crypto/registry.js';
import { resolveIkeAuth } from '../ike/auth/credential-files.js';
import type { CertCredentials } from '../ike/auth/credentials.js';
import { cidrContains, ipv4ToInt, isIpv4, parseCidr } from '../net/ipv4-address.js';
import type { AuthMethod } from '../ppp/auth-protocol.js';
import { type Rng, systemRng } from '../util/clock.js';
import { ESP_SUITE_PATTERN, type FileConfig, fileConfigSchema, parseHostPort } from './config-schema.js';
import { AddressPool, PoolConfigError } from './pool.js';

export const DEFAULT_CONTROL_SOCKET = '/run/l2tpsec/control.sock';

export interface UserEntry {
  readonly name: string;
  readonly password: string;
  /** From VPN_ADDL_IP_ADDRS. */
  readonly staticAddress?: string;
}

export interface IkeCipherChoice {
  readonly cipher: 'aes-cbc' | '3des-cbc';
  readonly keyBits: number;
}

export interface EspSuite {
  readonly cipher: CipherName;
  readonly keyBits: number;
  /** Undefined for AES-GCM (its ICV is the AEAD tag). */
  readonly integrity: IntegrityName | undefined;
}

/**
 * Everything the server needs, typed. Proposal knobs left `undefined` mean "the IKE layer's own default
 * policy" (src/ike/policy.ts, esp-policy.ts).
 */
export interface ServerConfig {
  readonly psk: string;
  readonly users: readonly UserEntry[];
  readonly usersFile: string | undefined;
  readonly l2tp: {
    /** VPN_L2TP_NET: the tunnel network, default 192.168.42.0/24. */
    readonly network: string;
    /** VPN_L2TP_LOCAL: the server's tunnel address, default 192.168.42.1. */
    readonly localAddress: string;
    /** VPN_L2TP_POOL: the dynamic client range, default 192.168.42.10-192.168.42.250. */
    readonly pool: string;
  };
  /** DNS servers offered in IPCP (RFC 1877); VPN_DNS_SRV1/2, default 8.8.8.8 and 8.8.4.4 as hwdsl2. */
  readonly dns: readonly string[];
  /** Listen addresses; undefined = every local IPv4 address, followed over time. */
  readonly listen: readonly string[] | undefined;
  readonly rawEsp: boolean;
  readonly ike: {
    readonly ciphers: readonly IkeCipherChoice[] | undefined;
    readonly hashes: readonly HashName[] | undefined;
    readonly groups: readonly DhGroupId[] | undefined;
    readonly prefer: 'client' | 'server' | undefined;
    readonly aggressiveMode: boolean;
    readonly forceEncapsulation: boolean;
    readonly maxLifetimeSeconds: number | undefined;
    readonly dpdDelaySeconds: number;
    readonly dpdTimeoutSeconds: number;
    readonly halfOpenPerSource: number | undefined;
    readonly halfOpenTotal: number | undefined;
    /** RSA signature credentials (ike.certificate/privateKey/caCertificates), read at start-up. */
    readonly certificates: CertCredentials | undefined;
    /** Accepted phase-1 authentication methods (RFC 2409 Appendix A numbers). */
    readonly authMethods: readonly number[];
  };
  readonly esp: {
    readonly suites: readonly EspSuite[] | undefined;
    readonly pfsGroups: readonly DhGroupId[] | undefined;
    readonly maxLifetimeSeconds: number | undefined;
    /** VPN_SHA2_TRUNCBUG=yes: HMAC-SHA2-256 truncated to 96 bits (Android 6/7). */
    readonly sha2Truncbug: boolean;
  };
  readonly ppp: {
    /** Offered in LCP's Authentication-Protocol option, most preferred first; undefined = PPP's default. */
    readonly authMethods: readonly AuthMethod[] | undefined;
  };
  readonly limits: {
    /** 0 = unlimited. */
    readonly maxSessions: number;
    readonly maxSessionsPerUser: number;
    readonly maxSessionsPerPeer: number;
  };
  readonly timeouts: {
    readonly l2tpHelloSeconds: number;
    readonly l2tpRetransmitSeconds: number;
    readonly lcpEchoIntervalSeconds: number;
    readonly lcpEchoFailures: number;
    readonly authenticationSeconds: number;
    /** 0 = never. */
    readonly idleSeconds: number;
  };
  readonly tun: { readonly name: string; readonly mtu: number };
  readonly mssClamp: boolean;
  readonly logging: { readonly level: string; readonly pretty: boolean | undefined };
  readonly controlSocket: string;
  /** Where the Prometheus endpoint listens (`metrics.listen`, `--metrics`); undefined = no endpoint. */
  readonly metricsListen: { readonly host: string; readonly port: number } | undefined;
  /** RADIUS AAA (`radius:` in the file): tried after the environment's users and the users file. */
  readonly radius: RadiusConfig | undefined;
  /** TEST ONLY: L2TP on plain UDP 1701 (RFC 3193 requires IPsec). */
  readonly allowPlainL2tp: boolean;
  /** Things accepted but worth a log line at start-up. */
  readonly warnings: readonly string[];
  /** Credentials generated because none were given: print them once at start-up. */
  readonly generated: { readonly psk: boolean; readonly user: boolean };
}

/** What RadiusAaa.open takes, plus the server's accounting cadence. */
export interface RadiusConfig extends RadiusAaaOptions {
  /** Seconds between Interim-Update records; 0 = none. */
  readonly interimIntervalSeconds: number;
}

export interface ConfigIssue {
  /** Dotted key path ("ike.groups.2") or the environment variable's name. */
  readonly key: string;
  readonly message: string;
  /** Set for issues in the YAML file. */
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
}

export class ConfigError extends Error {
  constructor(readonly issues: readonly ConfigIssue[]) {
    super(`invalid configuration:\n${issues.map(formatIssue).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function formatIssue(i: ConfigIssue): string {
  const where = i.file ? `${i.file}:${i.line ?? '?'}:${i.column ?? '?'}: ` : '';
  return `  ${where}${i.key}: ${i.message}`;
}

export interface LoadConfigOptions {
  env?: Readonly<Record<string, string | undefined>>;
  /** `--config FILE`. */
  configFile?: string;
  /** `--listen ADDR` (repeatable). */
  listen?: readonly string[];
  /** `--control PATH`. */
  control?: string;
  /** `--metrics ADDR:PORT`. */
  metrics?: string;
  rng?: Rng;
}

// ---------------------------------------------------------------------------------------------------
// YAML file

/** Parses and validates YAML text; issues carry the key path and line/column of the offending node. */
export function parseConfigYaml(text: string, fileName = '<config>'): FileConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return {
          key: '(syntax)',
          message: e.message.split('\n')[0],
          file: fileName,
          line: pos.line,
          column: pos.col,
        };
      }),
    );
  }
  const value: unknown = doc.toJS() ?? {};
  const r = fileConfigSchema.safeParse(value);
  if (r.success) return r.data;
  throw new ConfigError(zodIssues(r.error, doc, lineCounter, fileName));
}

function zodIssues(err: ZodError, doc: Document, lc: LineCounter, file: string): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of err.issues) {
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      for (const k of issue.keys) {
        const offset = keyOffset(doc, path, k) ?? nodeOffset(doc, path);
        out.push({ key: [...path, k].join('.'), message: 'unknown key', file, ...pos(lc, offset) });
      }
      continue;
    }
    out.push({
      key: path.join('.') || '(top level)',
      message: issue.message,
      file,
      ...pos(lc, nodeOffset(doc, path)),
    });
  }
  return out;
}

/** Start offset of the node at `path`, or of its nearest existing ancestor (a missing key's parent). */
function nodeOffset(doc: Document, path: readonly (string | number)[]): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
    if (node && typeof node === 'object' && node.range) return node.range[0];
    if (n === 0 && doc.contents && 'range' in doc.contents && doc.contents.range)
      return doc.contents.range[0];
  }
  return undefined;
}

/** Offset of the key scalar `key` in the mapping at `path`. */
function keyOffset(doc: Document, path: readonly (string | number)[], key: string): number | undefined {
  const map = path.length === 0 ? doc.contents : doc.getIn(path, true);
  if (!isMap(map)) return undefined;
  for (const pair of map.items) {
    if (isScalar(pair.key) && pair.key.value === key && pair.key.range) return pair.key.range[0];
  }
  return undefined;
}

function pos(lc: LineCounter, offset: number | undefined): { line?: number; column?: number } {
  if (offset === undefined) return {};
  const p = lc.linePos(offset);
  return { line: p.line, column: p.col };
}

export function readConfigFile(path: string): FileConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError([{ key: '--config', message: `cannot read ${path}: ${(err as Error).message}` }]);
  }
  return parseConfigYaml(text, path);
}

// ---------------------------------------------------------------------------------------------------
// Environment (hwdsl2/setup-ipsec-vpn compatible)

/** Characters for generated secrets: no look-alikes (0/O, 1/l/I), as hwdsl2 does. */
const SECRET_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';

/** A random string over SECRET_ALPHABET (rejection sampling: no modulo bias). */
export function generateSecret(length: number, rng: Rng = systemRng): string {
  const n = SECRET_ALPHABET.length;
  const limit = 256 - (256 % n);
  let out = '';
  while (out.length < length) {
    for (const b of rng(length * 2)) {
      if (b < limit) out += SECRET_ALPHABET[b % n];
      if (out.length === length) break;
    }
  }
  return out;
}

/** 24 characters of a 57-letter alphabet ≈ 140 bits; 16 ≈ 93 bits. */
const GENERATED_PSK_LENGTH = 24;
const GENERATED_PASSWORD_LENGTH = 16;
export const GENERATED_USER = 'vpnuser';

function words(v: string | undefined): string[] {
  return (v ?? '').split(/\s+/).filter((w) => w.length > 0);
}

function nonEmpty(v: string | undefined): string | undefined {
  const t = v?.trim();
  return t ? t : undefined;
}

interface EnvPart {
  psk: string | undefined;
  users: UserEntry[];
  network?: string;
  localAddress?: string;
  pool?: string;
  dns?: string[];
  sha2Truncbug?: boolean;
  control?: string;
}

function fromEnv(env: Readonly<Record<string, string | undefined>>, issues: ConfigIssue[]): EnvPart {
  const psk = nonEmpty(env.VPN_IPSEC_PSK);
  const user = nonEmpty(env.VPN_USER);
  const password = nonEmpty(env.VPN_PASSWORD);
  const users: UserEntry[] = [];
  if (user && !password)
    issues.push({ key: 'VPN_PASSWORD', message: 'VPN_USER is set but VPN_PASSWORD is not' });
  if (password && !user) issues.push({ key: 'VPN_USER', message: 'VPN_PASSWORD is set but VPN_USER is not' });
  if (user && password) users.push({ name: user, password });
  // hwdsl2: additional users, their passwords and optional static addresses, space separated and in the
  // same order; "*" (or a missing entry) in VPN_ADDL_IP_ADDRS means a dynamic address.
  const addlUsers = words(env.VPN_ADDL_USERS);
  const addlPasswords = words(env.VPN_ADDL_PASSWORDS);
  const addlAddrs = words(env.VPN_ADDL_IP_ADDRS);
  if (addlUsers.length !== addlPasswords.length) {
    issues.push({
      key: 'VPN_ADDL_PASSWORDS',
      message: `${addlUsers.length} user(s) in VPN_ADDL_USERS but ${addlPasswords.length} password(s)`,
    });
  }
  if (addlAddrs.length > addlUsers.length) {
    issues.push({
      key: 'VPN_ADDL_IP_ADDRS',
      message: `more addresses (${addlAddrs.length}) than VPN_ADDL_USERS`,
    });
  }
  for (let i = 0; i < Math.min(addlUsers.length, addlPasswords.length); i++) {
    const a = addlAddrs[i];
    if (a !== undefined && a !== '*' && !isIpv4(a)) {
      issues.push({ key: 'VPN_ADDL_IP_ADDRS', message: `'${a}' is neither an IPv4 address nor *` });
    }
    users.push({
      name: addlUsers[i],
      password: addlPasswords[i],
      ...(a !== undefined && a !== '*' && isIpv4(a) ? { staticAddress: a } : {}),
    });
  }
  const seen = new Set<string>();
  for (const u of users) {
    if (seen.has(u.name)) issues.push({ key: 'VPN_ADDL_USERS', message: `user '${u.name}' given twice` });
    seen.add(u.name);
  }
  const part: EnvPart = { psk, users };
  const network = nonEmpty(env.VPN_L2TP_NET);
  if (network !== undefined) {
    try {
      parseCidr(network, true);
      part.network = network;
    } catch (err) {
      issues.push({ key: 'VPN_L2TP_NET', message: (err as Error).message });
    }
  }
  const local = nonEmpty(env.VPN_L2TP_LOCAL);
  if (local !== undefined) {
    if (isIpv4(local)) part.localAddress = local;
    else issues.push({ key: 'VPN_L2TP_LOCAL', message: `not an IPv4 address: '${local}'` });
  }
  const pool = nonEmpty(env.VPN_L2TP_POOL);
  if (pool !== undefined) part.pool = pool;
  const dns: string[] = [];
  for (const key of ['VPN_DNS_SRV1', 'VPN_DNS_SRV2'] as const) {
    const v = nonEmpty(env[key]);
    if (v === undefined) continue;
    if (isIpv4(v)) dns.push(v);
    else issues.push({ key, message: `not an IPv4 address: '${v}'` });
  }
  if (dns.length > 0) part.dns = dns;
  const trunc = nonEmpty(env.VPN_SHA2_TRUNCBUG);
  if (trunc !== undefined) {
    if (/^(yes|true|1)$/i.test(trunc)) part.sha2Truncbug = true;
    else if (/^(no|false|0)$/i.test(trunc)) part.sha2Truncbug = false;
    else issues.push({ key: 'VPN_SHA2_TRUNCBUG', message: `expected yes or no, not '${trunc}'` });
  }
  const control = nonEmpty(env.L2TPSEC_CONTROL);
  if (control !== undefined) part.control = control;
  return part;
}

// ---------------------------------------------------------------------------------------------------
// Merge

function ikeCipher(name: string): IkeCipherChoice {
  return name === '3des'
    ? { cipher: '3des-cbc', keyBits: 192 }
    : { cipher: 'aes-cbc', keyBits: Number(name.slice(3)) };
}

/** "aes128-sha1" → AES-128-CBC + HMAC-SHA1-96; "aes256gcm16" → AES-256-GCM-16. */
export function parseEspSuite(text: string): EspSuite {
  const m = ESP_SUITE_PATTERN.exec(text);
  if (!m) throw new RangeError(`unknown ESP suite '${text}'`);
  if (m[3]) return { cipher: 'aes-gcm-16', keyBits: Number(m[3]), integrity: undefined };
  const integrity: Record<string, IntegrityName> = {
    md5: 'hmac-md5-96',
    sha1: 'hmac-sha1-96',
    sha256: 'hmac-sha256-128',
    sha384: 'hmac-sha384-192',
    sha512: 'hmac-sha512-256',
  };
  return m[1] === '3des'
    ? { cipher: '3des-cbc', keyBits: 192, integrity: integrity[m[2]] }
    : { cipher: 'aes-cbc', keyBits: Number(m[1].slice(3)), integrity: integrity[m[2]] };
}

/** RFC 2865 section 3 recommends a shared secret of at least 16 octets. */
const RADIUS_SECRET_MIN = 16;

function radiusConfig(r: FileConfig['radius'], warnings: string[]): RadiusConfig | undefined {
  if (r === undefined) return undefined;
  const authPort = r.authPort ?? 1812;
  const acctPort = r.acctPort ?? 1813;
  for (const sv of r.servers)
    if (Buffer.byteLength(sv.secret) < RADIUS_SECRET_MIN)
      warnings.push(`radius: the secret for ${sv.address} is shorter than 16 octets (RFC 2865 section 3)`);
  if (r.interimInterval !== undefined && r.interimInterval > 0 && r.interimInterval < 60)
    warnings.push(
      'radius: interimInterval below 60 s loads the accounting server (RFC 2869 asks for >= 600)',
    );
  return {
    servers: r.servers.map((sv) => ({
      address: sv.address,
      secret: sv.secret,
      authPort: sv.port ?? authPort,
      acctPort: sv.acctPort ?? acctPort,
    })),
    timeoutSeconds: r.timeout ?? 3,
    retries: r.retries ?? 2,
    nasIdentifier: r.nasIdentifier,
    nasIpAddress: r.nasIpAddress,
    accounting: r.accounting ?? true,
    interimIntervalSeconds: r.interimInterval ?? 0,
  };
}

/** Builds the ServerConfig from environment, optional file and flags; throws ConfigError listing all issues. */
export function loadConfig(opts: LoadConfigOptions = {}): ServerConfig {
  const file: FileConfig = opts.configFile ? readConfigFile(opts.configFile) : {};
  return buildConfig(file, opts);
}

/** As loadConfig, with the file already parsed (tests, and callers that read it themselves). */
export function buildConfig(file: FileConfig, opts: LoadConfigOptions = {}): ServerConfig {
  const issues: ConfigIssue[] = [];
  const env = fromEnv(opts.env ?? process.env, issues);
  const rng = opts.rng ?? systemRng;

  let psk = env.psk ?? file.psk;
  const generatedPsk = psk === undefined;
  if (psk === undefined) psk = generateSecret(GENERATED_PSK_LENGTH, rng);

  let users = env.users;
  const generatedUser = users.length === 0 && file.usersFile === undefined && file.radius === undefined;
  if (generatedUser)
    users = [{ name: GENERATED_USER, password: generateSecret(GENERATED_PASSWORD_LENGTH, rng) }];

  const l2tp = {
    network: env.network ?? file.l2tp?.network ?? '192.168.42.0/24',
    localAddress: env.localAddress ?? file.l2tp?.localAddress ?? '192.168.42.1',
    pool: env.pool ?? file.l2tp?.pool ?? '192.168.42.10-192.168.42.250',
  };
  const warnings: string[] = [];
  users = dropForeignStatics(users, l2tp.network, warnings);
  checkL2tpNet(l2tp, users, issues);

  const listen = opts.listen && opts.listen.length > 0 ? [...opts.listen] : file.listen;
  for (const a of opts.listen ?? [])
    if (!isIpv4(a)) issues.push({ key: '--listen', message: `not an IPv4 address: '${a}'` });

  const metricsText = opts.metrics ?? file.metrics?.listen;
  const metricsListen = metricsText === undefined ? undefined : parseHostPort(metricsText);
  if (metricsText !== undefined && metricsListen === undefined)
    issues.push({
      key: '--metrics',
      message: `expected an IPv4 address and port (a.b.c.d:port): '${metricsText}'`,
    });

  const radius = radiusConfig(file.radius, warnings);
  const ikeAuth = resolveIkeAuth(file.ike ?? {});
  for (const i of ikeAuth.issues) issues.push({ key: `ike.${i.key}`, message: i.message });

  if (issues.length > 0) throw new ConfigError(issues);

  return {
    psk,
    users,
    usersFile: file.usersFile,
    l2tp,
    dns: env.dns ?? file.dns ?? ['8.8.8.8', '8.8.4.4'],
    listen,
    rawEsp: file.rawEsp ?? true,
    ike: {
      ciphers: file.ike?.ciphers?.map(ikeCipher),
      hashes: file.ike?.hashes,
      groups: file.ike?.groups as DhGroupId[] | undefined,
      prefer: file.ike?.prefer,
      aggressiveMode: file.ike?.aggressiveMode ?? false,
      forceEncapsulation: file.ike?.forceEncapsulation ?? true,
      maxLifetimeSeconds: file.ike?.maxLifetime,
      dpdDelaySeconds: file.ike?.dpdDelay ?? 30,
      dpdTimeoutSeconds: file.ike?.dpdTimeout ?? 120,
      halfOpenPerSource: file.ike?.halfOpenPerSource,
      halfOpenTotal: file.ike?.halfOpenTotal,
      certificates: ikeAuth.credentials,
      authMethods: ikeAuth.authMethods,
    },
    esp: {
      suites: file.esp?.suites?.map(parseEspSuite),
      pfsGroups: file.esp?.pfsGroups as DhGroupId[] | undefined,
      maxLifetimeSeconds: file.esp?.maxLifetime,
      sha2Truncbug: env.sha2Truncbug ?? file.esp?.sha2Truncbug ?? false,
    },
    ppp: { authMethods: file.ppp?.authMethods },
    limits: {
      maxSessions: file.limits?.maxSessions ?? 0,
      maxSessionsPerUser: file.limits?.maxSessionsPerUser ?? 0,
      maxSessionsPerPeer: file.limits?.maxSessionsPerPeer ?? 0,
    },
    timeouts: {
      l2tpHelloSeconds: file.timeouts?.l2tpHello ?? 60,
      l2tpRetransmitSeconds: file.timeouts?.l2tpRetransmit ?? 1,
      lcpEchoIntervalSeconds: file.timeouts?.lcpEchoInterval ?? 30,
      lcpEchoFailures: file.timeouts?.lcpEchoFailures ?? 4,
      authenticationSeconds: file.timeouts?.authentication ?? 30,
      idleSeconds: file.timeouts?.idle ?? 0,
    },
    tun: { name: file.tun?.name ?? 'l2tpsec%d', mtu: file.tun?.mtu ?? 1400 },
    mssClamp: file.mssClamp ?? true,
    logging: { level: file.logging?.level ?? 'info', pretty: file.logging?.pretty },
    controlSocket: opts.control ?? env.control ?? file.control?.socket ?? DEFAULT_CONTROL_SOCKET,
    metricsListen,
    radius,
    allowPlainL2tp: file.allowPlainL2tp ?? false,
    warnings,
    generated: { psk: generatedPsk, user: generatedUser },
  };
}

/**
 * hwdsl2 lets VPN_ADDL_IP_ADDRS also name IPsec/XAuth addresses (192.168.43.x), which do not apply to
 * L2TP: a static address outside the L2TP network is ignored with a warning, as there.
 */
function dropForeignStatics(users: UserEntry[], network: string, warnings: string[]): UserEntry[] {
  let net: ReturnType<typeof parseCidr>;
  try {
    net = parseCidr(network, true);
  } catch {
    return users; // reported by checkL2tpNet
  }
  return users.map((u) => {
    if (!u.staticAddress || cidrContains(net, ipv4ToInt(u.staticAddress))) return u;
    warnings.push(`static address ${u.staticAddress} of ${u.name} is outside ${network}: ignored for L2TP`);
    return { name: u.name, password: u.password };
  });
}

/** The tunnel network must hold the server's address, the pool and every static address (hwdsl2 rules). */
function checkL2tpNet(
  l2tp: { network: string; localAddress: string; pool: string },
  users: readonly UserEntry[],
  issues: ConfigIssue[],
): void {
  let net: ReturnType<typeof parseCidr>;
  try {
    net = parseCidr(l2tp.network, true);
  } catch (err) {
    issues.push({ key: 'l2tp.network', message: (err as Error).message });
    return;
  }
  if (!cidrContains(net, ipv4ToInt(l2tp.localAddress))) {
    issues.push({
      key: 'VPN_L2TP_LOCAL',
      message: `${l2tp.localAddress} is outside VPN_L2TP_NET ${l2tp.network}`,
    });
  }
  const statics = new Map<string, string>();
  for (const u of users) if (u.staticAddress) statics.set(u.name, u.staticAddress);
  try {
    const pool = new AddressPool({
      range: l2tp.pool,
      exclude: [l2tp.localAddress],
      network: l2tp.network,
      staticAddresses: statics,
    });
    if (!cidrContains(net, pool.first) || !cidrContains(net, pool.last)) {
      issues.push({
        key: 'VPN_L2TP_POOL',
        message: `${l2tp.pool} is not inside VPN_L2TP_NET ${l2tp.network}`,
      });
    }
  } catch (err) {
    if (!(err instanceof PoolConfigError)) throw err;
    issues.push({
      key: err.message.startsWith('static') ? 'VPN_ADDL_IP_ADDRS' : 'VPN_L2TP_POOL',
      message: err.message,
    });
  }
}

/** The lines to print once when credentials were generated (hwdsl2 prints them the same way). */
export function describeGenerated(cfg: ServerConfig): string[] {
  const lines: string[] = [];
  if (!cfg.generated.psk && !cfg.generated.user) return lines;
  lines.push(
    'No VPN credentials given: generated these (they are not stored; set VPN_IPSEC_PSK, VPN_USER and',
  );
  lines.push('VPN_PASSWORD to choose your own):');
  if (cfg.generated.psk) lines.push(`  IPsec PSK: ${cfg.psk}`);
  if (cfg.generated.user) {
    lines.push(`  Username:  ${cfg.users[0].name}`);
    lines.push(`  Password:  ${cfg.users[0].password}`);
  }
  return lines;
}

/**
 * Configuration: hwdsl2/setup-ipsec-vpn environment variables, generated credentials, the YAML file with
 * errors naming key, line and column, and the precedence flags > environment > file > defaults.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  buildConfig,
  DEFAULT_CONTROL_SOCKET,
  describeGenerated,
  GENERATED_USER,
  generateSecret,
  loadConfig,
  parseConfigYaml,
  parseEspSuite,
} from '../../src/server/config.js';
import { issuesOf } from './support/config-issues.js';

const BASE_ENV = { VPN_IPSEC_PSK: 'shared-secret', VPN_USER: 'alice', VPN_PASSWORD: 'pw-alice' };

describe('environment (hwdsl2 compatible)', () => {
  it('gives hwdsl2 defaults for the tunnel network, pool and DNS', () => {
    const c = buildConfig({}, { env: BASE_ENV });
    expect(c.psk).toBe('shared-secret');
    expect(c.users).toEqual([{ name: 'alice', password: 'pw-alice' }]);
    expect(c.l2tp).toEqual({
      network: '192.168.42.0/24',
      localAddress: '192.168.42.1',
      pool: '192.168.42.10-192.168.42.250',
    });
    expect(c.dns).toEqual(['8.8.8.8', '8.8.4.4']);
    expect(c.esp.sha2Truncbug).toBe(false);
    expect(c.listen).toBeUndefined();
    expect(c.controlSocket).toBe(DEFAULT_CONTROL_SOCKET);
    expect(c.allowPlainL2tp).toBe(false);
    expect(c.ppp.authMethods).toBeUndefined();
    expect(c.generated).toEqual({ psk: false, user: false });
    expect(describeGenerated(c)).toEqual([]);
  });

  it('reads additional users with their passwords and static addresses in order ("*" = dynamic)', () => {
    const c = buildConfig(
      {},
      {
        env: {
          ...BASE_ENV,
          VPN_ADDL_USERS: 'bob  carol dave',
          VPN_ADDL_PASSWORDS: 'pw-bob pw-carol pw-dave',
          VPN_ADDL_IP_ADDRS: '* 192.168.42.2 192.168.43.2',
          VPN_L2TP_NET: '192.168.42.0/24',
          VPN_DNS_SRV1: '1.1.1.1',
          VPN_DNS_SRV2: '1.0.0.1',
          VPN_SHA2_TRUNCBUG: 'yes',
        },
      },
    );
    expect(c.users).toEqual([
      { name: 'alice', password: 'pw-alice' },
      { name: 'bob', password: 'pw-bob' },
      { name: 'carol', password: 'pw-carol', staticAddress: '192.168.42.2' },
      // hwdsl2: an address outside the L2TP network belongs to IPsec/XAuth mode; ignored here, with a warning.
      { name: 'dave', password: 'pw-dave' },
    ]);
    expect(c.warnings).toEqual([
      'static address 192.168.43.2 of dave is outside 192.168.42.0/24: ignored for L2TP',
    ]);
    expect(c.dns).toEqual(['1.1.1.1', '1.0.0.1']);
    expect(c.esp.sha2Truncbug).toBe(true);
  });

  it('moves the whole tunnel network with VPN_L2TP_NET/LOCAL/POOL', () => {
    const c = buildConfig(
      {},
      {
        env: {
          ...BASE_ENV,
          VPN_L2TP_NET: '10.60.0.0/16',
          VPN_L2TP_LOCAL: '10.60.0.1',
          VPN_L2TP_POOL: '10.60.1.0-10.60.1.255',
        },
      },
    );
    expect(c.l2tp).toEqual({
      network: '10.60.0.0/16',
      localAddress: '10.60.0.1',
      pool: '10.60.1.0-10.60.1.255',
    });
  });

  it('names the variable at fault, all at once', () => {
    const issues = issuesOf(() =>
      buildConfig(
        {},
        {
          env: {
            VPN_USER: 'alice',
            VPN_ADDL_USERS: 'bob carol',
            VPN_ADDL_PASSWORDS: 'pw-bob',
            VPN_L2TP_LOCAL: '10.1.1.1',
            VPN_DNS_SRV1: 'dns.example',
            VPN_SHA2_TRUNCBUG: 'maybe',
          },
        },
      ),
    );
    expect(issues.map((i) => i.key).sort()).toEqual([
      'VPN_ADDL_PASSWORDS',
      'VPN_DNS_SRV1',
      'VPN_L2TP_LOCAL',
      'VPN_PASSWORD',
      'VPN_SHA2_TRUNCBUG',
    ]);
    expect(issues.find((i) => i.key === 'VPN_L2TP_LOCAL')!.message).toMatch(/outside VPN_L2TP_NET/);
  });

  it('refuses a static address equal to the server tunnel address, or given twice', () => {
    const env = { ...BASE_ENV, VPN_ADDL_USERS: 'b c', VPN_ADDL_PASSWORDS: 'x y' };
    expect(
      issuesOf(() => buildConfig({}, { env: { ...env, VPN_ADDL_IP_ADDRS: '192.168.42.1' } }))[0],
    ).toMatchObject({
      key: 'VPN_ADDL_IP_ADDRS',
      message: expect.stringMatching(/reserved/),
    });
    expect(
      issuesOf(() => buildConfig({}, { env: { ...env, VPN_ADDL_IP_ADDRS: '192.168.42.5 192.168.42.5' } }))[0]
        .message,
    ).toMatch(/both b and c/);
  });

  it('with no PSK and no user, generates strong ones and describes them once', () => {
    let counter = 0;
    const rng = (n: number) => Buffer.from(Array.from({ length: n }, () => counter++ % 256));
    const c = buildConfig({}, { env: {}, rng });
    expect(c.generated).toEqual({ psk: true, user: true });
    expect(c.psk).toMatch(/^[A-HJ-NP-Za-km-z2-9]{24}$/);
    expect(c.users).toHaveLength(1);
    expect(c.users[0].name).toBe(GENERATED_USER);
    expect(c.users[0].password).toMatch(/^[A-HJ-NP-Za-km-z2-9]{16}$/);
    const text = describeGenerated(c).join('\n');
    expect(text).toContain(c.psk);
    expect(text).toContain(c.users[0].password);
  });

  it('generated secrets are unbiased over the alphabet (rejection sampling) and differ per call', () => {
    const a = generateSecret(4000);
    const counts = new Map<string, number>();
    for (const ch of a) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    expect(counts.size).toBe(57);
    for (const n of counts.values()) expect(n).toBeGreaterThan(20); // expected 70 each
    expect(generateSecret(24)).not.toBe(generateSecret(24));
    // Bytes at or above the rejection limit (256 − 256 mod 57 = 228) are never used.
    const s = generateSecret(3, () => Buffer.from([255, 228, 0, 56, 57, 230]));
    expect(s).toBe('A9A');
  });
});

describe('YAML file', () => {
  it('accepts every knob and maps proposals onto registry names', () => {
    const f = parseConfigYaml(`
listen: [198.51.100.7]
rawEsp: false
usersFile: /etc/l2tpsec/users
ike:
  ciphers: [aes256, 3des]
  hashes: [sha256, sha1]
  groups: [14, 19]
  forceEncapsulation: false
  dpdDelay: 10
esp:
  suites: [aes128gcm16, aes128-sha1, 3des-sha1, aes256-sha256]
  pfsGroups: []
ppp: { authMethods: [mschapv2, pap] }
limits: { maxSessions: 100, maxSessionsPerUser: 2 }
timeouts: { l2tpHello: 30, idle: 600 }
tun: { name: vpn0, mtu: 1380 }
logging: { level: debug }
control: { socket: /tmp/x.sock }
allowPlainL2tp: true
`);
    const c = buildConfig(f, { env: { VPN_IPSEC_PSK: 'k' } });
    expect(c.listen).toEqual(['198.51.100.7']);
    expect(c.rawEsp).toBe(false);
    expect(c.usersFile).toBe('/etc/l2tpsec/users');
    expect(c.generated.user).toBe(false); // users come from the file
    expect(c.ike.ciphers).toEqual([
      { cipher: 'aes-cbc', keyBits: 256 },
      { cipher: '3des-cbc', keyBits: 192 },
    ]);
    expect(c.ike.groups).toEqual([14, 19]);
    expect(c.ike.forceEncapsulation).toBe(false);
    expect(c.ike.dpdDelaySeconds).toBe(10);
    expect(c.esp.suites).toEqual([
      { cipher: 'aes-gcm-16', keyBits: 128, integrity: undefined },
      { cipher: 'aes-cbc', keyBits: 128, integrity: 'hmac-sha1-96' },
      { cipher: '3des-cbc', keyBits: 192, integrity: 'hmac-sha1-96' },
      { cipher: 'aes-cbc', keyBits: 256, integrity: 'hmac-sha256-128' },
    ]);
    expect(c.ppp.authMethods).toEqual(['mschapv2', 'pap']);
    expect(c.limits).toEqual({ maxSessions: 100, maxSessionsPerUser: 2, maxSessionsPerPeer: 0 });
    expect(c.timeouts.l2tpHelloSeconds).toBe(30);
    expect(c.timeouts.idleSeconds).toBe(600);
    expect(c.tun).toEqual({ name: 'vpn0', mtu: 1380 });
    expect(c.logging.level).toBe('debug');
    expect(c.controlSocket).toBe('/tmp/x.sock');
    expect(c.allowPlainL2tp).toBe(true);
  });

  it('errors name the key and its line and column', () => {
    const text = [
      'ike:',
      '  groups: [14, 7]',
      'esp:',
      '  suites:',
      '    - aes128-sha1',
      '    - rot13-md4',
      'tun:',
      '  mtu: 9000',
    ].join('\n');
    const issues = issuesOf(() => parseConfigYaml(text, 'l2tpsec.yaml'));
    expect(issues).toEqual([
      expect.objectContaining({ key: 'ike.groups.1', file: 'l2tpsec.yaml', line: 2, column: 16 }),
      expect.objectContaining({ key: 'esp.suites.1', line: 6, column: 7 }),
      expect.objectContaining({ key: 'tun.mtu', line: 8, column: 8 }),
    ]);
    expect(issues[0].message).toMatch(/DH group/);
  });

  it('an unknown key (a typo) is an error at the key itself', () => {
    const issues = issuesOf(() => parseConfigYaml('ike:\n  dpdDelay: 5\n  dpdTimout: 30\n', 'f.yaml'));
    expect(issues).toEqual([
      { key: 'ike.dpdTimout', message: 'unknown key', file: 'f.yaml', line: 3, column: 3 },
    ]);
  });

  it('a YAML syntax error is reported with its line', () => {
    const issues = issuesOf(() => parseConfigYaml('ike:\n  groups: [14, 19\nesp: {}\n', 'bad.yaml'));
    expect(issues[0]).toMatchObject({ key: '(syntax)', file: 'bad.yaml' });
    expect(issues[0].line).toBeGreaterThanOrEqual(2);
    const dup = issuesOf(() => parseConfigYaml('rawEsp: true\nrawEsp: false\n', 'dup.yaml'));
    expect(dup[0]).toMatchObject({ key: '(syntax)', line: 2 });
  });

  it('metrics: off by default; metrics.listen or --metrics (the flag wins); a bad address names the key', () => {
    expect(buildConfig({}, { env: BASE_ENV }).metricsListen).toBeUndefined();
    const file = parseConfigYaml('metrics:\n  listen: 127.0.0.1:9810\n', 'm.yaml');
    expect(buildConfig(file, { env: BASE_ENV }).metricsListen).toEqual({ host: '127.0.0.1', port: 9810 });
    expect(buildConfig(file, { env: BASE_ENV, metrics: '10.1.2.3:9100' }).metricsListen).toEqual({
      host: '10.1.2.3',
      port: 9100,
    });
    const issues = issuesOf(() => parseConfigYaml('metrics:\n  listen: localhost\n', 'm.yaml'));
    expect(issues).toEqual([expect.objectContaining({ key: 'metrics.listen', file: 'm.yaml', line: 2 })]);
    expect(issuesOf(() => buildConfig({}, { env: BASE_ENV, metrics: '127.0.0.1:0' }))[0]).toMatchObject({
      key: '--metrics',
    });
  });

  it('radius: off by default; servers get the default ports 1812/1813 unless they give their own', () => {
    expect(buildConfig({}, { env: BASE_ENV }).radius).toBeUndefined();
    const file = parseConfigYaml(
      [
        'radius:',
        '  servers:',
        '    - { address: 10.0.0.5, secret: "0123456789abcdef-long" }',
        '    - { address: "2001:db8::5", secret: short, port: 11812, acctPort: 11813 }',
        '  timeout: 2',
        '  retries: 1',
        '  nasIdentifier: vpn-1',
        '  accounting: false',
        '  interimInterval: 900',
        '',
      ].join('\n'),
      'r.yaml',
    );
    const c = buildConfig(file, { env: {} });
    expect(c.radius).toEqual({
      servers: [
        { address: '10.0.0.5', secret: '0123456789abcdef-long', authPort: 1812, acctPort: 1813 },
        { address: '2001:db8::5', secret: 'short', authPort: 11812, acctPort: 11813 },
      ],
      timeoutSeconds: 2,
      retries: 1,
      nasIdentifier: 'vpn-1',
      nasIpAddress: undefined,
      accounting: false,
      interimIntervalSeconds: 900,
    });
    // RADIUS is a user source: no generated user; a short secret is accepted with a warning.
    expect(c.generated.user).toBe(false);
    expect(c.users).toEqual([]);
    expect(c.warnings).toEqual([expect.stringMatching(/2001:db8::5 is shorter than 16 octets/)]);
    const defaults = buildConfig(
      parseConfigYaml('radius:\n  authPort: 1645\n  servers:\n    - { address: 127.0.0.1, secret: s }\n'),
      { env: BASE_ENV },
    );
    expect(defaults.radius).toMatchObject({
      servers: [{ authPort: 1645, acctPort: 1813 }],
      timeoutSeconds: 3,
      retries: 2,
      accounting: true,
      interimIntervalSeconds: 0,
    });
    const chatty = buildConfig(
      parseConfigYaml('radius:\n  interimInterval: 5\n  servers:\n    - { address: 127.0.0.1, secret: s }\n'),
      { env: BASE_ENV },
    );
    expect(chatty.warnings).toContainEqual(expect.stringMatching(/interimInterval below 60 s/));
  });

  it('radius: a server without a secret, an empty list or a bad address name the key', () => {
    expect(
      issuesOf(() => parseConfigYaml('radius:\n  servers:\n    - { address: 10.0.0.5 }\n', 'r.yaml')),
    ).toEqual([expect.objectContaining({ key: 'radius.servers.0.secret', line: 3 })]);
    expect(issuesOf(() => parseConfigYaml('radius:\n  servers: []\n'))).toEqual([
      expect.objectContaining({ key: 'radius.servers' }),
    ]);
    expect(
      issuesOf(() => parseConfigYaml('radius:\n  servers:\n    - { address: radius.lan, secret: s }\n')),
    ).toEqual([expect.objectContaining({ key: 'radius.servers.0.address' })]);
  });

  it('an empty file is an empty configuration', () => {
    expect(parseConfigYaml('')).toEqual({});
    expect(parseConfigYaml('# only a comment\n')).toEqual({});
  });

  it('precedence: flags > environment > file > defaults', () => {
    const dir = mkdtempSync(join(tmpdir(), 'l2s-config-'));
    try {
      const path = join(dir, 'c.yaml');
      writeFileSync(
        path,
        'psk: from-file\nlisten: [10.0.0.1]\ncontrol: { socket: /file.sock }\nl2tp: { pool: 192.168.42.100-192.168.42.110 }\ndns: [9.9.9.9]\n',
      );
      const c = loadConfig({
        configFile: path,
        env: { VPN_IPSEC_PSK: 'from-env', VPN_USER: 'u', VPN_PASSWORD: 'p', L2TPSEC_CONTROL: '/env.sock' },
        listen: ['10.0.0.2'],
      });
      expect(c.psk).toBe('from-env');
      expect(c.listen).toEqual(['10.0.0.2']);
      expect(c.controlSocket).toBe('/env.sock');
      expect(c.l2tp.pool).toBe('192.168.42.100-192.168.42.110');
      expect(c.dns).toEqual(['9.9.9.9']);
      expect(loadConfig({ configFile: path, env: {}, control: '/flag.sock' }).controlSocket).toBe(
        '/flag.sock',
      );
      expect(loadConfig({ configFile: path, env: {} }).psk).toBe('from-file');
      expect(issuesOf(() => loadConfig({ configFile: join(dir, 'missing.yaml') }))[0].key).toBe('--config');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('parseEspSuite', () => {
  it('rejects what it does not know', () => {
    expect(() => parseEspSuite('aes128-sha3')).toThrow(RangeError);
    expect(parseEspSuite('aes192-sha384')).toEqual({
      cipher: 'aes-cbc',
      keyBits: 192,
      integrity: 'hmac-sha384-192',
    });
  });
});

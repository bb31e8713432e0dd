import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  type ClientSpec,
  ipsecConf,
  ipsecSecrets,
  pppOptions,
  strongswanDropIn,
  xl2tpdConf,
} from './client-config.js';
import { clientScript, selfTestScript } from './guest-script.js';

const BASE: ClientSpec = {
  server: '192.0.2.1',
  psk: 'secret psk',
  ike: 'aes128-sha1-modp2048!',
  esp: 'aes128-sha1!',
  forceEncaps: true,
  user: 'alice',
  password: 'pw',
  auth: 'mschap-v2',
};

describe('client configuration as NetworkManager-l2tp writes it', () => {
  it('writes ipsec.conf for an IKEv1 transport-mode PSK connection on UDP 1701', () => {
    expect(ipsecConf(BASE)).toBe(
      [
        'config setup',
        '  charondebug="ike 2, knl 2, cfg 1, net 1, enc 0"',
        '',
        'conn l2s',
        '  auto=add',
        '  keyexchange=ikev1',
        '  type=transport',
        '  authby=secret',
        '  left=%defaultroute',
        '  leftprotoport=17/1701',
        '  right=192.0.2.1',
        '  rightid=%any',
        '  rightprotoport=17/%any',
        '  ike=aes128-sha1-modp2048!',
        '  esp=aes128-sha1!',
        '  forceencaps=yes',
        '  rekey=no',
        '  keyingtries=1',
        '',
      ].join('\n'),
    );
  });

  it("omits ike=/esp= when unset (charon's defaults) and writes forceencaps=no", () => {
    const conf = ipsecConf({ ...BASE, ike: undefined, esp: undefined, forceEncaps: false });
    expect(conf).not.toMatch(/^\s*(ike|esp)=/m);
    expect(conf).toMatch(/^ {2}forceencaps=no$/m);
  });

  it('writes the PSK for any peer', () => {
    expect(ipsecSecrets(BASE)).toBe('%any %any : PSK "secret psk"\n');
  });

  it('refuses every PPP authentication but the chosen one (refuse-*, never require-* on a client)', () => {
    const lines = (auth: ClientSpec['auth']) => pppOptions({ ...BASE, auth }, '/l').split('\n');
    expect(lines('mschap-v2')).toEqual(
      expect.arrayContaining(['noauth', 'noccp', 'refuse-eap', 'refuse-pap', 'refuse-chap', 'refuse-mschap']),
    );
    expect(lines('mschap-v2')).not.toContain('refuse-mschap-v2');
    expect(lines('chap')).toEqual(
      expect.arrayContaining(['refuse-pap', 'refuse-mschap', 'refuse-mschap-v2']),
    );
    expect(lines('chap')).not.toContain('refuse-chap');
    expect(lines('pap')).toEqual(
      expect.arrayContaining(['refuse-chap', 'refuse-mschap', 'refuse-mschap-v2']),
    );
    expect(lines('pap')).not.toContain('refuse-pap');
    for (const auth of ['mschap-v2', 'chap', 'pap'] as const) {
      expect(lines(auth).some((l) => l.startsWith('require-'))).toBe(false);
      expect(lines(auth)).toEqual(
        expect.arrayContaining(['mtu 1400', 'mru 1400', 'user "alice"', 'password "pw"']),
      );
    }
  });

  it('writes an xl2tpd LAC with the length bit, kernel mode unless userspace is forced', () => {
    const conf = xl2tpdConf(BASE, '/etc/ppp/options.l2tpd.client');
    expect(conf).toContain('[lac l2s]\nlns = 192.0.2.1\nlength bit = yes\n');
    expect(conf).toContain('pppoptfile = /etc/ppp/options.l2tpd.client\n');
    expect(conf).not.toContain('force userspace');
    expect(xl2tpdConf({ ...BASE, forceUserspace: true }, '/x')).toContain(
      '[global]\nport = 1701\nforce userspace = yes\n',
    );
  });

  it("lowers charon's retransmissions and logs to the share", () => {
    const conf = strongswanDropIn('/mnt/share/charon.log');
    expect(conf).toContain('retransmit_tries = 3\n');
    expect(conf).toContain('retransmit_timeout = 2.0\n');
    expect(conf).toContain('path = /mnt/share/charon.log\n');
  });

  it('rejects values that cannot be quoted in the configuration files', () => {
    expect(() => ipsecSecrets({ ...BASE, psk: 'a"b' })).toThrow(/quoted/);
    expect(() => pppOptions({ ...BASE, password: 'a\nb' }, '/l')).toThrow(/quoted/);
  });

  it('generates guest command files that parse as POSIX sh (dash)', () => {
    const scripts = [
      clientScript({ ...BASE, routes: ['198.51.100.0/24'], pingTargets: ['198.51.100.2'] }),
      selfTestScript('192.0.2.1', '192.0.2.10'),
    ];
    for (const script of scripts) {
      expect(() =>
        execFileSync('dash', ['-n'], { input: script, stdio: ['pipe', 'pipe', 'pipe'] }),
      ).not.toThrow();
    }
    const client = scripts[0];
    // The pitfalls: wait for the starter to load the connection, check INSTALLED, line-buffer stroke.
    expect(client).toContain('until ipsec statusall 2>/dev/null | grep -q "^ *l2s:"');
    expect(client).toContain('grep -q INSTALLED');
    expect(client).toContain('stdbuf -oL ipsec up l2s');
    expect(client).toContain('ip route add 198.51.100.0/24 dev ppp0');
  });
});

import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BASE_SERVER } from './cases.js';
import {
  referenceIpsecConf,
  referencePppOptions,
  referenceServerScript,
  referenceXl2tpdConf,
} from './reference-server.js';

describe('reference server (strongSwan + xl2tpd + pppd) configuration', () => {
  it('answers IKEv1 transport mode for L2TP with every proposal the cases use', () => {
    const conf = referenceIpsecConf(BASE_SERVER);
    expect(conf).toMatch(/^ {2}keyexchange=ikev1$/m);
    expect(conf).toMatch(/^ {2}leftprotoport=17\/1701$/m);
    for (const p of ['aes128-sha1-modp2048', '3des-sha1-modp1024', 'aes256-sha256-modp2048'])
      expect(conf).toContain(p);
    expect(conf).toMatch(/^ {2}forceencaps=no$/m);
    expect(referenceIpsecConf({ ...BASE_SERVER, forceEncapsulation: true })).toMatch(
      /^ {2}forceencaps=yes$/m,
    );
  });

  it('hands out the pool and requires exactly the PPP methods of the spec', () => {
    expect(referenceXl2tpdConf(BASE_SERVER)).toContain(
      'ip range = 10.77.0.10-10.77.0.250\nlocal ip = 10.77.0.1\n',
    );
    const ppp = referencePppOptions(BASE_SERVER).split('\n');
    expect(ppp).toEqual(expect.arrayContaining(['auth', 'require-mschap-v2', 'require-chap', 'refuse-pap']));
    const withPap = referencePppOptions({ ...BASE_SERVER, pppAuth: ['pap'] }).split('\n');
    expect(withPap).toContain('require-pap');
    expect(withPap).not.toContain('refuse-pap');
  });

  it('generates a command file that parses as POSIX sh (dash)', () => {
    expect(() =>
      execFileSync('dash', ['-n'], { input: referenceServerScript(300), stdio: 'pipe' }),
    ).not.toThrow();
  });
});

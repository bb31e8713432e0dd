/**
 * Server configuration of RSA signature authentication: the YAML keys ike.certificate / privateKey /
 * caCertificates / authMethods, read at start-up with errors naming the key, then the engine settings the
 * server derives from them carrying a certificate-authenticated Main Mode with an l2tpsec client.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certCredentialsFromPem } from '../../src/ike/auth/credentials.js';
import { AuthMethod } from '../../src/ike/codec/constants.js';
import { IkeEngine } from '../../src/ike/engine.js';
import { buildConfig, parseConfigYaml } from '../../src/server/config.js';
import { ikeConfigFor } from '../../src/server/server.js';
import { issuesOf } from '../server/support/config-issues.js';
import { type Issued, opensslUnavailable, TestPki } from '../support/certs.js';
import { CLIENT, installs, Link, SERVER, seededRng } from './harness.js';

const why = opensslUnavailable();
const ENV = { VPN_IPSEC_PSK: 'shared-secret', VPN_USER: 'alice', VPN_PASSWORD: 'pw-alice' };

describe.skipIf(why !== undefined)(
  `server configuration of X.509 authentication${why ? ` (skipped: ${why})` : ''}`,
  () => {
    const pki = new TestPki();
    let ca: Issued;
    let server: Issued;
    let client: Issued;

    beforeAll(() => {
      ca = pki.root('ca', '/C=XX/O=l2tpsec test/CN=Test Root CA');
      server = pki.issue('server', ca, { subject: '/C=XX/O=l2tpsec test/CN=vpn.test' });
      client = pki.issue('client', ca, { subject: '/C=XX/O=l2tpsec test/CN=client' });
    }, 60_000);

    afterAll(() => pki.dispose());

    const yaml = (ike: string) => parseConfigYaml(`ike:\n${ike}`);

    it('without certificates: PSK only, and rsa-sig is refused with a clear error', () => {
      const c = buildConfig({}, { env: ENV });
      expect(c.ike.certificates).toBeUndefined();
      expect(c.ike.authMethods).toEqual([AuthMethod.PreSharedKey]);
      const issues = issuesOf(() => buildConfig(yaml('  authMethods: [psk, rsa-sig]\n'), { env: ENV }));
      expect(issues.map((i) => i.key)).toEqual(['ike.authMethods']);
    });

    it('with certificate, key and CA: PSK and RSA signatures, the credentials loaded', () => {
      const c = buildConfig(
        yaml(
          `  certificate: ${server.certPath}\n  privateKey: ${server.keyPath}\n  caCertificates: [${ca.certPath}]\n`,
        ),
        { env: ENV },
      );
      expect(c.ike.authMethods).toEqual([AuthMethod.PreSharedKey, AuthMethod.RsaSignature]);
      expect(c.ike.certificates?.certificate.subject).toMatch(/CN=vpn\.test/);
      const only = buildConfig(
        yaml(
          `  certificate: ${server.certPath}\n  privateKey: ${server.keyPath}\n  caCertificates: ${ca.certPath}\n  authMethods: [rsa-sig]\n`,
        ),
        { env: ENV },
      );
      expect(only.ike.authMethods).toEqual([AuthMethod.RsaSignature]);
    });

    it('names the key at fault: missing file, missing companion key, wrong key, not a certificate', () => {
      const missing = issuesOf(() =>
        buildConfig(
          yaml(
            `  certificate: ${pki.dir}/nope.pem\n  privateKey: ${server.keyPath}\n  caCertificates: ${ca.certPath}\n`,
          ),
          { env: ENV },
        ),
      );
      expect(missing).toEqual([
        { key: 'ike.certificate', message: expect.stringMatching(/cannot read .*nope\.pem: ENOENT/) },
      ]);
      const alone = issuesOf(() => buildConfig(yaml(`  certificate: ${server.certPath}\n`), { env: ENV }));
      expect(alone.map((i) => i.key)).toEqual(['ike.privateKey', 'ike.caCertificates']);
      const wrongKey = issuesOf(() =>
        buildConfig(
          yaml(
            `  certificate: ${server.certPath}\n  privateKey: ${client.keyPath}\n  caCertificates: ${ca.certPath}\n`,
          ),
          { env: ENV },
        ),
      );
      expect(wrongKey).toEqual([
        { key: 'ike.privateKey', message: 'privateKey does not belong to the certificate' },
      ]);
      const notCa = issuesOf(() =>
        buildConfig(
          yaml(
            `  certificate: ${server.certPath}\n  privateKey: ${server.keyPath}\n  caCertificates: ${server.keyPath}\n`,
          ),
          { env: ENV },
        ),
      );
      expect(notCa.map((i) => i.key)).toEqual(['ike.caCertificates']);
    });

    it('the engine settings the server derives authenticate an l2tpsec client by certificate', () => {
      const cfg = buildConfig(
        yaml(
          `  certificate: ${server.certPath}\n  privateKey: ${server.keyPath}\n  caCertificates: ${ca.certPath}\n  authMethods: [rsa-sig]\n`,
        ),
        { env: ENV },
      );
      const link = new Link();
      link.add(SERVER.address, new IkeEngine({ ...ikeConfigFor(cfg, false), rng: seededRng('cfg-r') }));
      const clientCreds = certCredentialsFromPem({
        certificate: client.cert,
        privateKey: client.key,
        caCertificates: ca.cert,
      });
      const initiator = link.add(
        CLIENT.address,
        new IkeEngine({ psk: 'shared-secret', certificates: clientCreds, rng: seededRng('cfg-i') }),
      );
      const seen = link.run(initiator.initiate(SERVER, CLIENT, link.clock.now()).actions);
      expect(seen.filter((a) => a.type === 'ike-sa-up')).toHaveLength(2);
      expect(installs(seen)).toHaveLength(2);
      // A PSK client is refused: this server accepts rsa-sig only.
      const pskLink = new Link();
      pskLink.add(SERVER.address, new IkeEngine({ ...ikeConfigFor(cfg, false), rng: seededRng('cfg-r2') }));
      const pskClient = pskLink.add(
        CLIENT.address,
        new IkeEngine({ psk: 'shared-secret', rng: seededRng('cfg-i2') }),
      );
      const refused = pskLink.run(pskClient.initiate(SERVER, CLIENT, pskLink.clock.now()).actions);
      expect(refused.filter((a) => a.type === 'ike-sa-up')).toHaveLength(0);
    });
  },
);

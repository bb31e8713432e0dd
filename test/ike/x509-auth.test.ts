/**
 * RSA signature authentication building blocks (RFC 2409 section 5.1): PEM credentials, the raw-hash
 * PKCS#1 v1.5 signature strongSwan calls SIGN_RSA_EMSA_PKCS1_NULL, peer chain validation and ID matching,
 * with certificates generated at test time by the openssl CLI.
 */
import { constants, createHash, createPublicKey, publicDecrypt, X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CredentialError, certCredentialsFromPem } from '../../src/ike/auth/credentials.js';
import { certificateNames, DerError } from '../../src/ike/auth/der.js';
import { checkIdMatchesCertificate, validatePeerChain } from '../../src/ike/auth/peer-certificate.js';
import { signIkeHash, verifyIkeHash } from '../../src/ike/auth/rsa-signature.js';
import {
  certPayloads,
  certRequestPayloads,
  ownCertId,
  peerCertificateSubject,
  sigPayload,
  verifyPeerSignature,
} from '../../src/ike/auth/signature-auth.js';
import { IdType, NotifyType, PayloadType } from '../../src/ike/codec/constants.js';
import { IkeNotifyError } from '../../src/ike/codec/errors.js';
import type { IdPayload } from '../../src/ike/codec/identification.js';
import { IkeSa } from '../../src/ike/ike-sa.js';
import { type Issued, opensslUnavailable, TestPki } from '../support/certs.js';

const why = opensslUnavailable();

function notifyOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof IkeNotifyError) return err.notify;
    throw err;
  }
  return undefined;
}

const id = (idType: number, data: Buffer): IdPayload => ({
  type: PayloadType.ID,
  idType,
  protocolId: 0,
  port: 0,
  data,
});

describe.skipIf(why !== undefined)(
  `X.509 RSA signature building blocks${why ? ` (skipped: ${why})` : ''}`,
  () => {
    const pki = new TestPki();
    let ca: Issued;
    let inter: Issued;
    let other: Issued;
    let server: Issued;
    let client: Issued;
    let viaInter: Issued;
    let shortLived: Issued;
    let ec: Issued;
    let rogue: Issued;
    let weak: Issued;

    /** The server's credentials and a client's, both under `ca`. */
    const serverAndClient = () => ({
      mine: certCredentialsFromPem({
        certificate: server.cert,
        privateKey: server.key,
        caCertificates: ca.cert,
      }),
      peer: certCredentialsFromPem({
        certificate: client.cert,
        privateKey: client.key,
        caCertificates: ca.cert,
      }),
    });

    beforeAll(() => {
      ca = pki.root('ca', '/C=XX/O=l2tpsec test/CN=Test Root CA');
      other = pki.root('other', '/C=XX/O=elsewhere/CN=Other Root CA');
      inter = pki.issue('inter', ca, { subject: '/C=XX/O=l2tpsec test/CN=Test Intermediate', ca: true });
      server = pki.issue('server', ca, {
        subject: '/C=XX/O=l2tpsec test/CN=vpn.test',
        san: 'DNS:vpn.test,IP:198.18.7.1',
      });
      client = pki.issue('client', ca, {
        subject: '/C=XX/O=l2tpsec test/CN=client',
        san: 'IP:198.18.7.2,email:alice@example.test',
      });
      viaInter = pki.issue('via', inter, { subject: '/C=XX/O=l2tpsec test/CN=via-intermediate' });
      shortLived = pki.issue('short', ca, { subject: '/C=XX/O=l2tpsec test/CN=short', days: 1 });
      ec = pki.issue('ec', ca, { subject: '/C=XX/O=l2tpsec test/CN=ec', keyType: 'ec' });
      weak = pki.issue('weak', ca, { subject: '/C=XX/O=l2tpsec test/CN=weak', bits: 1024 });
      rogue = pki.issue('rogue', other, { subject: '/C=XX/O=l2tpsec test/CN=client' });
    }, 60_000);

    afterAll(() => pki.dispose());

    it('loads PEM credentials: subject DN DER, CA DNs, and refuses a key that is not the certificate’s', () => {
      const creds = certCredentialsFromPem({
        certificate: server.cert,
        privateKey: server.key,
        caCertificates: ca.cert,
      });
      const x = new X509Certificate(server.cert);
      expect(creds.certificate.fingerprint256).toBe(x.fingerprint256);
      expect(creds.chain).toEqual([]);
      // The DER subject starts with a SEQUENCE and contains the CN as a PrintableString/UTF8String.
      expect(creds.subjectDn[0]).toBe(0x30);
      expect(creds.subjectDn.includes(Buffer.from('vpn.test'))).toBe(true);
      expect(creds.caDns[0].equals(certificateNames(x.raw).issuer)).toBe(true);
      expect(() =>
        certCredentialsFromPem({ certificate: server.cert, privateKey: client.key, caCertificates: ca.cert }),
      ).toThrow(/does not belong/);
      expect(() =>
        certCredentialsFromPem({ certificate: ec.cert, privateKey: ec.key, caCertificates: ca.cert }),
      ).toThrow(CredentialError);
      expect(() =>
        certCredentialsFromPem({ certificate: 'nothing', privateKey: server.key, caCertificates: ca.cert }),
      ).toThrow(/certificate: no certificate/);
      const chained = certCredentialsFromPem({
        certificate: viaInter.cert + inter.cert,
        privateKey: viaInter.key,
        caCertificates: [ca.cert, other.cert],
      });
      expect(chained.chain.map((c) => c.subject)).toEqual([new X509Certificate(inter.cert).subject]);
      expect(chained.caDns.length).toBe(2);
    });

    it('DER issuer/subject extraction agrees with openssl’s own DER of the subject', () => {
      const x = new X509Certificate(client.cert);
      const { issuer, subject } = certificateNames(x.raw);
      // The CA's subject is the client's issuer, byte for byte.
      expect(issuer.equals(certificateNames(new X509Certificate(ca.cert).raw).subject)).toBe(true);
      expect(subject.equals(issuer)).toBe(false);
      expect(subject.includes(Buffer.from('client'))).toBe(true);
    });

    it('DER extraction refuses truncated and malformed certificates', () => {
      const raw = new X509Certificate(client.cert).raw;
      expect(() => certificateNames(raw.subarray(0, 40))).toThrow(DerError);
      expect(() => certificateNames(Buffer.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff]))).toThrow(DerError);
      expect(() => certificateNames(Buffer.from([0x02, 0x01, 0x00]))).toThrow(DerError);
      expect(() => certificateNames(Buffer.from([0x30, 0x03, 0x30, 0x01, 0x00]))).toThrow(DerError);
    });

    it('signs the raw hash with PKCS#1 v1.5 type-1 padding and no DigestInfo (SIGN_RSA_EMSA_PKCS1_NULL)', () => {
      const creds = certCredentialsFromPem({
        certificate: client.cert,
        privateKey: client.key,
        caCertificates: ca.cert,
      });
      const hash = createHash('sha1').update('HASH_I').digest();
      const sig = signIkeHash(creds.privateKey, hash);
      expect(sig.length).toBe(256);
      // Raw RSA on the signature shows the EMSA-PKCS1-v1_5 block 00 01 FF…FF 00 || hash, nothing else.
      const em = publicDecrypt({ key: createPublicKey(client.cert), padding: constants.RSA_NO_PADDING }, sig);
      expect(em.subarray(0, 2)).toEqual(Buffer.from([0, 1]));
      const ps = em.subarray(2, 256 - hash.length - 1);
      expect(ps.every((b) => b === 0xff)).toBe(true);
      expect(em[256 - hash.length - 1]).toBe(0);
      expect(em.subarray(256 - hash.length).equals(hash)).toBe(true);
      // Deterministic (no randomness in type-1 padding) and verifiable.
      expect(signIkeHash(creds.privateKey, hash).equals(sig)).toBe(true);
      const pub = new X509Certificate(client.cert).publicKey;
      expect(verifyIkeHash(pub, hash, sig)).toBe(true);
      const tampered = Buffer.from(sig);
      tampered[100] ^= 1;
      expect(verifyIkeHash(pub, hash, tampered)).toBe(false);
      expect(verifyIkeHash(pub, createHash('sha1').update('other').digest(), sig)).toBe(false);
      expect(verifyIkeHash(pub, hash, sig.subarray(1))).toBe(false);
      expect(verifyIkeHash(new X509Certificate(server.cert).publicKey, hash, sig)).toBe(false);
    });

    it('validates a good chain (direct and through a presented intermediate)', () => {
      const trusted = [new X509Certificate(ca.cert)];
      const now = Date.now();
      const key = validatePeerChain([new X509Certificate(client.cert)], trusted, now);
      expect(key.asymmetricKeyType).toBe('rsa');
      expect(() =>
        validatePeerChain(
          [new X509Certificate(viaInter.cert), new X509Certificate(inter.cert)],
          trusted,
          now,
        ),
      ).not.toThrow();
      // Without the intermediate there is no path.
      expect(notifyOf(() => validatePeerChain([new X509Certificate(viaInter.cert)], trusted, now))).toBe(
        NotifyType.InvalidCertificate,
      );
    });

    it('refuses a wrong CA, an expired certificate, a not-yet-valid one, a non-RSA or 1024-bit key, and no certificate', () => {
      const trusted = [new X509Certificate(ca.cert)];
      const now = Date.now();
      expect(notifyOf(() => validatePeerChain([new X509Certificate(rogue.cert)], trusted, now))).toBe(
        NotifyType.InvalidCertificate,
      );
      const day = 86_400_000;
      expect(
        notifyOf(() => validatePeerChain([new X509Certificate(shortLived.cert)], trusted, now)),
      ).toBeUndefined();
      expect(
        notifyOf(() => validatePeerChain([new X509Certificate(shortLived.cert)], trusted, now + 2 * day)),
      ).toBe(NotifyType.InvalidCertificate);
      expect(
        notifyOf(() => validatePeerChain([new X509Certificate(client.cert)], trusted, now - 2 * day)),
      ).toBe(NotifyType.InvalidCertificate);
      expect(notifyOf(() => validatePeerChain([new X509Certificate(ec.cert)], trusted, now))).toBe(
        NotifyType.InvalidCertificate,
      );
      expect(notifyOf(() => validatePeerChain([], trusted, now))).toBe(NotifyType.CertificateUnavailable);
      // A 1024-bit RSA key, though validly issued.
      expect(notifyOf(() => validatePeerChain([new X509Certificate(weak.cert)], trusted, now))).toBe(
        NotifyType.InvalidCertificate,
      );
    });

    it('matches the ID payload to the certificate: DN, IPv4, FQDN and USER_FQDN in subjectAltName', () => {
      const cli = new X509Certificate(client.cert);
      const srv = new X509Certificate(server.cert);
      const dn = certificateNames(cli.raw).subject;
      expect(notifyOf(() => checkIdMatchesCertificate(id(IdType.DerAsn1Dn, dn), cli))).toBeUndefined();
      expect(
        notifyOf(() => checkIdMatchesCertificate(id(IdType.Ipv4Addr, Buffer.from([198, 18, 7, 2])), cli)),
      ).toBeUndefined();
      expect(
        notifyOf(() =>
          checkIdMatchesCertificate(id(IdType.UserFqdn, Buffer.from('alice@example.test')), cli),
        ),
      ).toBeUndefined();
      expect(
        notifyOf(() => checkIdMatchesCertificate(id(IdType.Fqdn, Buffer.from('vpn.test')), srv)),
      ).toBeUndefined();
      // Wrong IDs.
      const wrong = [
        id(IdType.DerAsn1Dn, certificateNames(srv.raw).subject),
        id(IdType.Ipv4Addr, Buffer.from([198, 18, 7, 9])),
        id(IdType.Fqdn, Buffer.from('client')), // the CN is not a subjectAltName
        id(IdType.UserFqdn, Buffer.from('mallory@example.test')),
        id(IdType.KeyId, Buffer.from('client')),
      ];
      for (const w of wrong)
        expect(notifyOf(() => checkIdMatchesCertificate(w, cli))).toBe(NotifyType.AuthenticationFailed);
    });

    it('verifyPeerSignature: good, tampered signature, wrong CA, wrong ID, missing certificate', () => {
      const { mine, peer } = serverAndClient();
      const hash = createHash('sha256').update('HASH_I over IDii').digest();
      const ep = { address: '192.0.2.1', port: 500 };
      const sa = new IkeSa('responder', Buffer.alloc(8, 1), ep, ep, 0, 1000);
      const idi = ownCertId(peer, undefined);
      expect(idi.idType).toBe(IdType.DerAsn1Dn);
      const sig = sigPayload(peer, hash);
      const chain = { payloads: [idi, ...certPayloads(peer), sig] };
      expect(verifyPeerSignature(sa, mine, chain, idi, hash).subject).toMatch(/CN=client/);
      expect(peerCertificateSubject(sa)).toBe('C=XX, O=l2tpsec test, CN=client');
      expect(certRequestPayloads(mine)[0].data.equals(mine.caDns[0])).toBe(true);

      const bad = Buffer.from(sig.data);
      bad[bad.length - 1] ^= 0x80;
      expect(
        notifyOf(() =>
          verifyPeerSignature(
            sa,
            mine,
            { payloads: [idi, ...certPayloads(peer), { ...sig, data: bad }] },
            idi,
            hash,
          ),
        ),
      ).toBe(NotifyType.InvalidSignature);
      const otherHash = createHash('sha256').update('different').digest();
      expect(notifyOf(() => verifyPeerSignature(sa, mine, chain, idi, otherHash))).toBe(
        NotifyType.InvalidSignature,
      );

      const stranger = certCredentialsFromPem({
        certificate: rogue.cert,
        privateKey: rogue.key,
        caCertificates: ca.cert,
      });
      const rid = ownCertId(stranger, undefined);
      expect(
        notifyOf(() =>
          verifyPeerSignature(
            sa,
            mine,
            { payloads: [rid, ...certPayloads(stranger), sigPayload(stranger, hash)] },
            rid,
            hash,
          ),
        ),
      ).toBe(NotifyType.InvalidCertificate);

      const wrongId = id(IdType.Ipv4Addr, Buffer.from([10, 0, 0, 1]));
      expect(notifyOf(() => verifyPeerSignature(sa, mine, chain, wrongId, hash))).toBe(
        NotifyType.AuthenticationFailed,
      );
      expect(notifyOf(() => verifyPeerSignature(sa, mine, { payloads: [idi, sig] }, idi, hash))).toBe(
        NotifyType.CertificateUnavailable,
      );
      expect(
        notifyOf(() =>
          verifyPeerSignature(
            sa,
            mine,
            {
              payloads: [idi, { type: PayloadType.CERT, encoding: 4, data: Buffer.from([0x30, 1, 0]) }, sig],
            },
            idi,
            hash,
          ),
        ),
      ).toBe(NotifyType.InvalidCertEncoding);
      expect(
        notifyOf(() => verifyPeerSignature(sa, mine, { payloads: [idi, ...certPayloads(peer)] }, idi, hash)),
      ).toBe(NotifyType.PayloadMalformed);
    });

    it('bounds what a peer can make it parse: at most 8 certificates; other encodings are unsupported', () => {
      const { mine, peer } = serverAndClient();
      const ep = { address: '192.0.2.1', port: 500 };
      const sa = new IkeSa('responder', Buffer.alloc(8, 2), ep, ep, 0, 1000);
      const hash = createHash('sha1').update('HASH_I').digest();
      const idi = ownCertId(peer, undefined);
      const flood = Array.from({ length: 9 }, () => certPayloads(peer)[0]);
      expect(
        notifyOf(() =>
          verifyPeerSignature(sa, mine, { payloads: [idi, ...flood, sigPayload(peer, hash)] }, idi, hash),
        ),
      ).toBe(NotifyType.InvalidCertificate);
      // A PKCS#7-wrapped certificate (encoding 1) only: CERT-TYPE-UNSUPPORTED.
      const pkcs7 = { type: PayloadType.CERT, encoding: 1, data: Buffer.from([0x30, 0]) } as const;
      expect(
        notifyOf(() =>
          verifyPeerSignature(sa, mine, { payloads: [idi, pkcs7, sigPayload(peer, hash)] }, idi, hash),
        ),
      ).toBe(NotifyType.CertTypeUnsupported);
    });
  },
);

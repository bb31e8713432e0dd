/**
 * Main Mode with RSA signatures (RFC 2409 section 5.1) between l2tpsec's own initiator and responder, in
 * process: CR in MM3/MM4 naming the trusted CA, [ID, CERT, SIG] in MM5/MM6, SKEYID from the nonces and
 * g^xy; then Quick Mode as usual. Refusals: an untrusted or expired certificate, a responder without
 * certificates, an ID that the certificate does not name.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IkeAction } from '../../src/ike/actions.js';
import { type CertCredentials, certCredentialsFromPem } from '../../src/ike/auth/credentials.js';
import { AuthMethod, IkeAttr, NotifyType, PayloadType } from '../../src/ike/codec/constants.js';
import { decodeMessage } from '../../src/ike/codec/message.js';
import type { SaPayload } from '../../src/ike/codec/sa.js';
import { DEFAULT_PHASE1_POLICY } from '../../src/ike/policy.js';
import { type Issued, opensslUnavailable, TestPki } from '../support/certs.js';
import { CLIENT, installs, pair, SERVER } from './harness.js';

const why = opensslUnavailable();

const ups = (seen: readonly IkeAction[]) => seen.filter((a) => a.type === 'ike-sa-up');
const downs = (seen: readonly IkeAction[]) => seen.filter((a) => a.type === 'ike-sa-down');

describe.skipIf(why !== undefined)(
  `Main Mode with X.509 RSA signatures${why ? ` (skipped: ${why})` : ''}`,
  () => {
    const pki = new TestPki();
    let ca: Issued;
    let server: Issued;
    let client: Issued;
    let rogue: Issued;
    let serverCreds: CertCredentials;
    let clientCreds: CertCredentials;

    beforeAll(() => {
      ca = pki.root('ca', '/C=XX/O=l2tpsec test/CN=Test Root CA');
      const other = pki.root('other', '/C=XX/O=elsewhere/CN=Other Root CA');
      server = pki.issue('server', ca, {
        subject: '/C=XX/O=l2tpsec test/CN=vpn.test',
        san: `IP:${SERVER.address}`,
      });
      client = pki.issue('client', ca, { subject: '/C=XX/O=l2tpsec test/CN=client', days: 1 });
      rogue = pki.issue('rogue', other, { subject: '/C=XX/O=l2tpsec test/CN=client' });
      serverCreds = certCredentialsFromPem({
        certificate: server.cert,
        privateKey: server.key,
        caCertificates: ca.cert,
      });
      clientCreds = certCredentialsFromPem({
        certificate: client.cert,
        privateKey: client.key,
        caCertificates: ca.cert,
      });
    }, 60_000);

    afterAll(() => pki.dispose());

    it('completes Main Mode and Quick Mode with certificates on both sides', () => {
      const { link, initiator } = pair({ certificates: serverCreds }, { certificates: clientCreds }, 'x509');
      const seen = link.run(initiator.initiate(SERVER, CLIENT, link.clock.now()).actions);
      const up = ups(seen);
      expect(up).toHaveLength(2);
      const byRole = Object.fromEntries(up.map((u) => [u.type === 'ike-sa-up' && u.role, u]));
      // Each side names the other by its verified certificate subject.
      expect(byRole.responder).toMatchObject({ peerIdentity: 'C=XX, O=l2tpsec test, CN=client' });
      expect(byRole.initiator).toMatchObject({ peerIdentity: 'C=XX, O=l2tpsec test, CN=vpn.test' });
      const inst = installs(seen);
      expect(inst).toHaveLength(2);
      expect(inst[0].sa.spiIn).toBe(inst[1].sa.spiOut);
      expect(inst[0].sa.inbound.encryption.equals(inst[1].sa.outbound.encryption)).toBe(true);
      expect(link.sent).toHaveLength(9);
      // MM1 proposes authentication method 3; MM3 and MM4 (clear) each carry a CR naming the CA by DER DN.
      const mm1 = decodeMessage(link.sent[0].data).chain.payloads[0] as SaPayload;
      for (const t of mm1.proposals[0].transforms) {
        expect(t.attributes.find((a) => a.type === IkeAttr.AuthenticationMethod)?.value).toBe(
          AuthMethod.RsaSignature,
        );
      }
      for (const i of [2, 3]) {
        const crs = decodeMessage(link.sent[i].data).chain.payloads.filter((p) => p.type === PayloadType.CR);
        expect(crs).toHaveLength(1);
        expect(crs[0].type === PayloadType.CR && crs[0].encoding).toBe(4);
        expect(crs[0].type === PayloadType.CR && crs[0].data.equals(serverCreds.caDns[0])).toBe(true);
      }
      // MM5 and MM6 carry a certificate and a 2048-bit signature: far longer than PSK's HASH.
      expect(link.sent[4].data.length).toBeGreaterThan(700);
      expect(link.sent[5].data.length).toBeGreaterThan(700);
    });

    it('a responder with certificates still serves PSK clients', () => {
      const { link, initiator } = pair({ certificates: serverCreds }, {}, 'x509-psk');
      const seen = link.run(initiator.initiate(SERVER, CLIENT, link.clock.now()).actions);
      expect(ups(seen)).toHaveLength(2);
      expect(installs(seen)).toHaveLength(2);
    });

    it('a responder without certificates refuses method 3 with NO-PROPOSAL-CHOSEN', () => {
      const { link, initiator, responder } = pair(
        {
          phase1: {
            ...DEFAULT_PHASE1_POLICY,
            authMethods: [AuthMethod.PreSharedKey, AuthMethod.RsaSignature],
          },
        },
        { certificates: clientCreds },
        'x509-nocert',
      );
      const seen = link.run(initiator.initiate(SERVER, CLIENT, link.clock.now()).actions);
      expect(ups(seen)).toHaveLength(0);
      expect(downs(seen).map((d) => d.type === 'ike-sa-down' && d.notify)).toEqual([
        NotifyType.NoProposalChosen,
      ]);
      expect(responder.counters.get('no-proposal-chosen')).toBe(1);
    });

    it('an untrusted client certificate: the responder refuses it with INVALID-CERTIFICATE, sent in the clear', () => {
      const stranger = certCredentialsFromPem({
        certificate: rogue.cert,
        privateKey: rogue.key,
        caCertificates: ca.cert,
      });
      const { link, initiator, responder } = pair(
        { certificates: serverCreds },
        { certificates: stranger },
        'x509-rogue',
      );
      const seen = link.run(initiator.initiate(SERVER, CLIENT, link.clock.now()).actions);
      expect(ups(seen)).toHaveLength(0);
      expect(installs(seen)).toHaveLength(0);
      const notifies = downs(seen).map((d) => d.type === 'ike-sa-down' && d.notify);
      expect(notifies).toEqual([NotifyType.InvalidCertificate]);
      expect(responder.counters.get('invalid-certificate')).toBe(1);
      expect(responder.counters.get('malformed')).toBe(0);
      // The responder's half-open SA goes silently; it tells the client in the clear, which gives up on it.
      const fromServer = link.sent.filter((a) => a.from.address === SERVER.address);
      const last = decodeMessage(fromServer[fromServer.length - 1].data).chain.payloads;
      expect(last.map((p) => p.type === PayloadType.N && p.notifyType)).toEqual([
        NotifyType.InvalidCertificate,
      ]);
    });

    it('an expired client certificate (by the responder’s wall clock) is refused', () => {
      const later = { ...serverCreds, wallClock: () => Date.now() + 3 * 86_400_000 };
      const { link, initiator } = pair(
        { certificates: later },
        { certificates: clientCreds },
        'x509-expired',
      );
      const seen = link.run(initiator.initiate(SERVER, CLIENT, link.clock.now()).actions);
      expect(ups(seen)).toHaveLength(0);
      expect(
        downs(seen).some((d) => d.type === 'ike-sa-down' && d.notify === NotifyType.InvalidCertificate),
      ).toBe(true);
    });

    it('the initiator refuses a server whose certificate its CAs do not trust', () => {
      const elsewhere = pki.root('third', '/C=XX/O=third/CN=Third Root CA');
      const picky = certCredentialsFromPem({
        certificate: client.cert,
        privateKey: client.key,
        caCertificates: elsewhere.cert,
      });
      const { link, initiator } = pair({ certificates: serverCreds }, { certificates: picky }, 'x509-picky');
      const seen = link.run(initiator.initiate(SERVER, CLIENT, link.clock.now()).actions);
      // The responder authenticated the client and came up; the initiator refused MM6 and said so.
      const initiatorUp = ups(seen).filter((u) => u.type === 'ike-sa-up' && u.role === 'initiator');
      expect(initiatorUp).toHaveLength(0);
      expect(installs(seen)).toHaveLength(0);
      expect(
        downs(seen).some((d) => d.type === 'ike-sa-down' && d.notify === NotifyType.InvalidCertificate),
      ).toBe(true);
    });

    it('a tampered SIG in MM5 fails with INVALID-SIGNATURE', () => {
      const { link, initiator, responder } = pair(
        { certificates: serverCreds },
        { certificates: clientCreds },
        'x509-sig',
      );
      // Encrypted MM5 cannot be edited in flight; instead the initiator signs with a key that is not its
      // certificate's: the same certificate, another RSA key.
      const wrongKey = certCredentialsFromPem({
        certificate: rogue.cert,
        privateKey: rogue.key,
        caCertificates: ca.cert,
      });
      const forged: CertCredentials = { ...clientCreds, privateKey: wrongKey.privateKey };
      const {
        link: l2,
        initiator: i2,
        responder: r2,
      } = pair({ certificates: serverCreds }, { certificates: forged }, 'x509-sig');
      const seen = l2.run(i2.initiate(SERVER, CLIENT, l2.clock.now()).actions);
      expect(ups(seen)).toHaveLength(0);
      expect(
        downs(seen).some((d) => d.type === 'ike-sa-down' && d.notify === NotifyType.InvalidSignature),
      ).toBe(true);
      expect(r2.counters.get('invalid-signature')).toBe(1);
      // The honest pair from the same seed still works: the failure was the signature alone.
      expect(ups(link.run(initiator.initiate(SERVER, CLIENT, link.clock.now()).actions))).toHaveLength(2);
      expect(responder.counters.get('ike-sa-established')).toBe(1);
    });
  },
);

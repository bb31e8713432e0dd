/**
 * Aggressive Mode responder (opt-in). The initiator side is played by the test itself from the RFC 2409
 * section 5 formulas (src/crypto/ikev1-kdf.ts), so the responder is checked against an independent peer.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { cbcEncrypt } from '../../src/crypto/cbc.js';
import { generateDhKeyPair } from '../../src/crypto/dh.js';
import {
  deriveSkeyids,
  hashI,
  hashR,
  phase1EncryptionKey,
  phase1Iv,
  skeyidPsk,
} from '../../src/crypto/ikev1-kdf.js';
import { certCredentialsFromPem } from '../../src/ike/auth/credentials.js';
import {
  AuthMethod,
  ExchangeType,
  HeaderFlag,
  NotifyType,
  PayloadType,
} from '../../src/ike/codec/constants.js';
import type { IdPayload } from '../../src/ike/codec/identification.js';
import { decodeMessage, encodeMessage, frameMessage } from '../../src/ike/codec/message.js';
import type { NotifyPayload } from '../../src/ike/codec/notification.js';
import type { OpaquePayload } from '../../src/ike/codec/opaque.js';
import { encodePayloadBody, encodePayloads } from '../../src/ike/codec/payloads.js';
import { encodeSaBody, type SaPayload } from '../../src/ike/codec/sa.js';
import { IkeEngine } from '../../src/ike/engine.js';
import { phase1Attributes } from '../../src/ike/policy.js';
import { opensslUnavailable, TestPki } from '../support/certs.js';
import { CLIENT, SERVER, seededRng } from './harness.js';

const ckyI = Buffer.from('a1a2a3a4a5a6a7a8', 'hex');

function am1(psk: string, authMethod: number = AuthMethod.PreSharedKey) {
  const sa: SaPayload = {
    type: PayloadType.SA,
    doi: 1,
    situation: 1,
    proposals: [
      {
        number: 1,
        protocolId: 1,
        spi: Buffer.alloc(0),
        transforms: [
          {
            number: 1,
            id: 1,
            attributes: phase1Attributes({
              cipher: { cipher: 'aes-cbc', keyBits: 128 },
              hash: 'sha1',
              group: 14,
              authMethod,
              lifetimeSeconds: 28800,
            }),
          },
        ],
      },
    ],
  };
  const dh = generateDhKeyPair(14);
  const ni = Buffer.alloc(16, 0x11);
  const idi: IdPayload = {
    type: PayloadType.ID,
    idType: 3,
    protocolId: 0,
    port: 0,
    data: Buffer.from('phone@example.com'),
  };
  const msg = encodeMessage(
    {
      initiatorCookie: ckyI,
      responderCookie: Buffer.alloc(8),
      exchangeType: ExchangeType.Aggressive,
      flags: 0,
      messageId: 0,
    },
    [sa, { type: PayloadType.KE, data: dh.publicValue }, { type: PayloadType.NONCE, data: ni }, idi],
  );
  return { msg, dh, ni, saiB: encodeSaBody(sa), idiB: encodePayloadBody(idi), psk: Buffer.from(psk) };
}

describe('Aggressive Mode responder', () => {
  it('is refused by default', () => {
    const r = new IkeEngine({ psk: 'secret', rng: seededRng('am-off') });
    const out = r.receive(am1('secret').msg, CLIENT, SERVER, 0);
    const n = decodeMessage((out[0] as { data: Buffer }).data).chain.payloads[0] as NotifyPayload;
    expect(n.notifyType).toBe(NotifyType.NoProposalChosen);
    expect(r.ikeSas()).toHaveLength(0);
  });

  for (const encrypted of [true, false]) {
    it(`when enabled, completes with an independent initiator (AM3 ${encrypted ? 'encrypted' : 'in the clear'})`, () => {
      const r = new IkeEngine({ psk: 'secret', rng: seededRng('am-on'), aggressiveMode: true });
      const i = am1('secret');
      const out = r.receive(i.msg, CLIENT, SERVER, 0);
      expect(out, JSON.stringify(r.counters.snapshot())).toHaveLength(1);
      const first = decodeMessage((out[0] as { data: Buffer }).data);
      expect(first.header.exchangeType, JSON.stringify(first.chain.payloads)).toBe(ExchangeType.Aggressive);
      const m2 = decodeMessage((out[0] as { data: Buffer }).data);
      const p = m2.chain.payloads;
      const ckyR = m2.header.responderCookie;
      const gxr = (p.find((x) => x.type === PayloadType.KE) as OpaquePayload).data;
      const nr = (p.find((x) => x.type === PayloadType.NONCE) as OpaquePayload).data;
      const idr = p.find((x) => x.type === PayloadType.ID) as IdPayload;
      const hr = (p.find((x) => x.type === PayloadType.HASH) as OpaquePayload).data;
      const gxy = i.dh.computeSecret(gxr);
      const skeyid = skeyidPsk('sha1', i.psk, i.ni, nr);
      expect(
        hashR('sha1', skeyid, gxr, i.dh.publicValue, ckyR, ckyI, i.saiB, encodePayloadBody(idr)).equals(hr),
      ).toBe(true);
      const hi = hashI('sha1', skeyid, i.dh.publicValue, gxr, ckyI, ckyR, i.saiB, i.idiB);
      const head = {
        initiatorCookie: ckyI,
        responderCookie: ckyR,
        exchangeType: ExchangeType.Aggressive,
        flags: 0,
        messageId: 0,
      };
      let am3: Buffer;
      if (encrypted) {
        const { e } = deriveSkeyids('sha1', skeyid, gxy, ckyI, ckyR);
        const plain = encodePayloads([{ type: PayloadType.HASH, data: hi }]);
        const padded = Buffer.alloc(Math.ceil(plain.length / 16) * 16);
        plain.copy(padded);
        const ct = cbcEncrypt(
          'aes-cbc',
          phase1EncryptionKey('sha1', e, 16),
          phase1Iv('sha1', i.dh.publicValue, gxr, 16),
          padded,
        );
        am3 = frameMessage({ ...head, flags: HeaderFlag.Encryption }, PayloadType.HASH, ct);
      } else {
        am3 = encodeMessage(head, [{ type: PayloadType.HASH, data: hi }]);
      }
      const up = r.receive(am3, CLIENT, SERVER, 1);
      expect(up.find((a) => a.type === 'ike-sa-up')).toMatchObject({ suite: 'aes128-sha1-modp2048' });
      expect(r.halfOpen).toBe(0);
    });
  }

  it('a wrong PSK is AUTHENTICATION-FAILED at message 3', () => {
    const r = new IkeEngine({ psk: 'secret', rng: seededRng('am-bad'), aggressiveMode: true });
    const i = am1('wrong');
    const m2 = decodeMessage((r.receive(i.msg, CLIENT, SERVER, 0)[0] as { data: Buffer }).data);
    const am3 = encodeMessage(
      {
        initiatorCookie: ckyI,
        responderCookie: m2.header.responderCookie,
        exchangeType: ExchangeType.Aggressive,
        flags: 0,
        messageId: 0,
      },
      [{ type: PayloadType.HASH, data: Buffer.alloc(20, 1) }],
    );
    const out = r.receive(am3, CLIENT, SERVER, 1);
    const n = decodeMessage((out[0] as { data: Buffer }).data).chain.payloads[0] as NotifyPayload;
    expect(n.notifyType).toBe(NotifyType.AuthenticationFailed);
    expect(r.ikeSas()).toHaveLength(0);
  });
});

const noOpenssl = opensslUnavailable();

describe.skipIf(noOpenssl !== undefined)(
  `Aggressive Mode with certificates configured${noOpenssl ? ` (skipped: ${noOpenssl})` : ''}`,
  () => {
    const pki = new TestPki();
    afterAll(() => pki.dispose());

    it('stays PSK-only: an RSA-signature proposal gets NO-PROPOSAL-CHOSEN', () => {
      const ca = pki.root('ca', '/C=XX/O=l2tpsec test/CN=Test Root CA');
      const server = pki.issue('server', ca, { subject: '/C=XX/O=l2tpsec test/CN=vpn.test' });
      const certificates = certCredentialsFromPem({
        certificate: server.cert,
        privateKey: server.key,
        caCertificates: ca.cert,
      });
      const r = new IkeEngine({
        psk: 'secret',
        rng: seededRng('am-rsa'),
        aggressiveMode: true,
        certificates,
      });
      const out = r.receive(am1('secret', AuthMethod.RsaSignature).msg, CLIENT, SERVER, 0);
      expect(out.filter((a) => a.type === 'send')).toHaveLength(1);
      const n = decodeMessage((out[0] as { data: Buffer }).data).chain.payloads[0] as NotifyPayload;
      expect(n.notifyType).toBe(NotifyType.NoProposalChosen);
      expect(r.ikeSas()).toHaveLength(0);
    }, 30_000);
  },
);

/**
 * RSA signature authentication in Main Mode (RFC 2409 section 5.1), the parts both roles share:
 *
 *   HDR*, IDii, [ CERT, ] SIG_I   (initiator, message 5)
 *   HDR*, IDir, [ CERT, ] SIG_R   (responder, message 6)
 *
 * with SKEYID = prf(Ni_b | Nr_b, g^xy) (RFC 2409 section 5). Certificate Requests (RFC 2408 section 3.10)
 * name our trusted CAs by DER DN; we always send our certificate (and chain), asked or not, since no
 * peer we meet has it cached.
 */
import { X509Certificate } from 'node:crypto';
import { AuthMethod, IdType, NotifyType, PayloadType } from '../codec/constants.js';
import { IkeNotifyError } from '../codec/errors.js';
import type { IdPayload } from '../codec/identification.js';
import type { CertPayload, OpaquePayload } from '../codec/opaque.js';
import type { Payload } from '../codec/payloads.js';
import type { IkeSa } from '../ike-sa.js';
import type { CertCredentials } from './credentials.js';
import { checkIdMatchesCertificate, validatePeerChain } from './peer-certificate.js';
import { signIkeHash, verifyIkeHash } from './rsa-signature.js';

/** Certificate encoding "X.509 Certificate - Signature" (RFC 2408 section 3.9). */
export const CERT_X509_SIGNATURE = 4;

/**
 * The phase-1 authentication method negotiated for each SA (kept beside the SA rather than in it; PSK when
 * absent). A WeakMap entry goes with its SA.
 */
const methods = new WeakMap<IkeSa, number>();

export function setAuthMethod(sa: IkeSa, method: number): void {
  if (method === AuthMethod.PreSharedKey) methods.delete(sa);
  else methods.set(sa, method);
}

export function usesSignatures(sa: IkeSa): boolean {
  return methods.get(sa) === AuthMethod.RsaSignature;
}

/** The verified certificate subject of each signature-authenticated SA's peer. */
const peerSubjects = new WeakMap<IkeSa, string>();

/** The peer's identity as its verified certificate names it ("C=XX, O=…, CN=…"), for `ike-sa-up`. */
export function peerCertificateSubject(sa: IkeSa): string | undefined {
  return peerSubjects.get(sa);
}

/** Our CERT payloads: the end-entity certificate, then the intermediates. */
export function certPayloads(creds: CertCredentials): CertPayload[] {
  return [creds.certificate, ...creds.chain].map((c) => ({
    type: PayloadType.CERT,
    encoding: CERT_X509_SIGNATURE,
    data: c.raw,
  }));
}

/** One CR per trusted CA, naming it by DER DN (RFC 2408 section 3.10). */
export function certRequestPayloads(creds: CertCredentials): CertPayload[] {
  return creds.caDns.map((dn) => ({ type: PayloadType.CR, encoding: CERT_X509_SIGNATURE, data: dn }));
}

/** Our phase-1 ID: the certificate's subject DN (RFC 2407 section 4.6.2.9), port/protocol as the peer's. */
export function ownCertId(creds: CertCredentials, peerId: IdPayload | undefined): IdPayload {
  const zero = peerId === undefined || peerId.protocolId === 0;
  return {
    type: PayloadType.ID,
    idType: IdType.DerAsn1Dn,
    protocolId: zero ? 0 : 17,
    port: zero ? 0 : 500,
    data: creds.subjectDn,
  };
}

/** SIG_I / SIG_R over our HASH_I / HASH_R. */
export function sigPayload(creds: CertCredentials, hash: Buffer): OpaquePayload {
  return { type: PayloadType.SIG, data: signIkeHash(creds.privateKey, hash) };
}

/** Bounds what a peer can make us parse: a VPN certificate chain is a few certificates. */
const MAX_PEER_CERTS = 8;

/**
 * Authenticates the peer's message 5 or 6: its X.509 CERT payloads must validate against our CAs, the ID
 * payload must name the certificate's holder, and SIG must be `hash` (HASH_I or HASH_R computed over that
 * ID) signed with the certificate's key. Throws the notify to send: CERTIFICATE-UNAVAILABLE,
 * CERT-TYPE-UNSUPPORTED, INVALID-CERT-ENCODING, INVALID-CERTIFICATE, AUTHENTICATION-FAILED, INVALID-SIGNATURE.
 */
export function verifyPeerSignature(
  sa: IkeSa,
  creds: CertCredentials,
  chain: { readonly payloads: readonly Payload[] },
  id: IdPayload,
  hash: Buffer,
): X509Certificate {
  let sig: OpaquePayload | undefined;
  const presented: X509Certificate[] = [];
  let unsupported = 0;
  for (const p of chain.payloads) {
    if (p.type === PayloadType.SIG) {
      if (sig) throw new IkeNotifyError(NotifyType.PayloadMalformed, 'more than one SIG payload');
      sig = p;
    } else if (p.type === PayloadType.CERT) {
      if (p.encoding !== CERT_X509_SIGNATURE) {
        unsupported++;
        continue;
      }
      if (presented.length >= MAX_PEER_CERTS) {
        throw new IkeNotifyError(NotifyType.InvalidCertificate, 'too many certificates');
      }
      try {
        presented.push(new X509Certificate(p.data));
      } catch {
        throw new IkeNotifyError(NotifyType.InvalidCertEncoding, 'unreadable X.509 certificate');
      }
    }
  }
  if (!sig) throw new IkeNotifyError(NotifyType.PayloadMalformed, 'no SIG payload');
  if (presented.length === 0) {
    throw new IkeNotifyError(
      unsupported > 0 ? NotifyType.CertTypeUnsupported : NotifyType.CertificateUnavailable,
      'peer sent no X.509 certificate',
    );
  }
  const key = validatePeerChain(presented, creds.trustedCas, creds.wallClock());
  checkIdMatchesCertificate(id, presented[0]);
  if (!verifyIkeHash(key, hash, sig.data)) {
    throw new IkeNotifyError(
      NotifyType.InvalidSignature,
      `signature of ${presented[0].subject} does not verify`,
    );
  }
  peerSubjects.set(sa, presented[0].subject.split('\n').join(', '));
  return presented[0];
}

/** The configured credentials of an SA that negotiated signatures (the policy allows that only with them). */
export function requireCredentials(creds: CertCredentials | undefined): CertCredentials {
  if (!creds) throw new IkeNotifyError(NotifyType.AuthenticationFailed, 'no certificate configured');
  return creds;
}

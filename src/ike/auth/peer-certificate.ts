/**
 * Peer certificate validation for RSA signature authentication (RFC 2409 section 5.1; what RFC 4945
 * section 3 and 5 later wrote down as practice): the end-entity certificate must chain up to a trusted CA,
 * every link be within its validity dates, the key be RSA, and the phase-1 ID payload name the
 * certificate's holder — its subject DN, or an address / FQDN / e-mail in its subjectAltName.
 */
import type { KeyObject, X509Certificate } from 'node:crypto';
import { IdType, NotifyType } from '../codec/constants.js';
import { IkeNotifyError } from '../codec/errors.js';
import { type IdPayload, idDataToAddress } from '../codec/identification.js';
import { certificateNames } from './der.js';

/** RFC 5280 section 6.1 bounds a path; a handful of intermediates is plenty for a VPN PKI. */
const MAX_CHAIN = 8;
/**
 * RSA moduli we accept from a peer: below 2048 bits is breakable (NIST SP 800-131A disallows it since
 * 2014); above 8192 only makes each handshake's verification an attacker's lever.
 */
const MIN_RSA_BITS = 2048;
const MAX_RSA_BITS = 8192;

function withinValidity(c: X509Certificate, now: number): boolean {
  return Date.parse(c.validFrom) <= now && now <= Date.parse(c.validTo);
}

/**
 * Validates `presented` (the peer's end-entity certificate first, then any intermediates, as its CERT
 * payloads came) against `trusted` at wall-clock time `now`; returns the end-entity certificate's public
 * key. Throws INVALID-CERTIFICATE (RFC 2408 section 3.14.1) for anything that does not validate.
 */
export function validatePeerChain(
  presented: readonly X509Certificate[],
  trusted: readonly X509Certificate[],
  now: number,
): KeyObject {
  const leaf = presented[0];
  if (!leaf) throw new IkeNotifyError(NotifyType.CertificateUnavailable, 'peer sent no certificate');
  if (leaf.publicKey.asymmetricKeyType !== 'rsa') {
    throw new IkeNotifyError(NotifyType.InvalidCertificate, 'peer certificate key is not RSA');
  }
  const bits = leaf.publicKey.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_RSA_BITS || bits > MAX_RSA_BITS) {
    throw new IkeNotifyError(NotifyType.InvalidCertificate, `peer RSA key of ${bits} bits`);
  }
  let current = leaf;
  const pool = presented.slice(1);
  for (let depth = 0; depth <= MAX_CHAIN; depth++) {
    if (!withinValidity(current, now)) {
      throw new IkeNotifyError(
        NotifyType.InvalidCertificate,
        `certificate outside its validity: ${current.subject}`,
      );
    }
    // A trusted CA that issued (and signed) this one ends the path.
    const anchor = trusted.find((ca) => current.checkIssued(ca) && current.verify(ca.publicKey));
    if (anchor) {
      if (!withinValidity(anchor, now)) {
        throw new IkeNotifyError(
          NotifyType.InvalidCertificate,
          `trusted CA outside its validity: ${anchor.subject}`,
        );
      }
      return leaf.publicKey;
    }
    const i = pool.findIndex((c) => c.ca && current.checkIssued(c) && current.verify(c.publicKey));
    if (i < 0) break;
    current = pool[i];
    pool.splice(i, 1);
  }
  throw new IkeNotifyError(NotifyType.InvalidCertificate, `no path to a trusted CA from ${leaf.subject}`);
}

/**
 * Whether the phase-1 ID payload names `cert`'s holder (RFC 4945 section 3.1 rules): ID_DER_ASN1_DN equal
 * to the subject, or ID_IPV4/IPV6_ADDR, ID_FQDN, ID_USER_FQDN present in subjectAltName. Throws
 * AUTHENTICATION-FAILED when it does not: a valid certificate for someone else proves nothing.
 */
export function checkIdMatchesCertificate(id: IdPayload, cert: X509Certificate): void {
  let ok = false;
  switch (id.idType) {
    case IdType.DerAsn1Dn:
      ok = certificateNames(cert.raw).subject.equals(id.data);
      break;
    case IdType.Ipv4Addr:
    case IdType.Ipv6Addr: {
      const a = idDataToAddress(id.idType, id.data);
      ok = a !== undefined && cert.checkIP(a) !== undefined;
      break;
    }
    case IdType.Fqdn:
      ok = cert.checkHost(id.data.toString('latin1'), { subject: 'never', wildcards: false }) !== undefined;
      break;
    case IdType.UserFqdn:
      ok = cert.checkEmail(id.data.toString('latin1'), { subject: 'never' }) !== undefined;
      break;
  }
  if (!ok) {
    throw new IkeNotifyError(
      NotifyType.AuthenticationFailed,
      `ID (type ${id.idType}) does not match the certificate of ${cert.subject}`,
    );
  }
}

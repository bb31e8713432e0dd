/**
 * Our X.509 credentials for RSA signature authentication (RFC 2409 section 5.1): our certificate with the
 * chain up to (not including) the root, our RSA private key, and the CA certificates we trust for peers.
 * Everything is loaded and checked once, at start-up, with node:crypto.
 */
import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { certificateNames } from './der.js';

export interface CertCredentials {
  /** Our end-entity certificate. */
  readonly certificate: X509Certificate;
  /** Intermediate certificates sent after ours (may be empty). */
  readonly chain: readonly X509Certificate[];
  readonly privateKey: KeyObject;
  /** CA certificates a peer's chain must end at. */
  readonly trustedCas: readonly X509Certificate[];
  /** DER subject Name of our certificate: our ID_DER_ASN1_DN (RFC 2407 section 4.6.2.9). */
  readonly subjectDn: Buffer;
  /** DER subject Names of the trusted CAs: the authorities of our Certificate Requests (RFC 2408 s3.10). */
  readonly caDns: readonly Buffer[];
  /** Wall-clock time in ms since the epoch, for certificate validity (the engine's clock is monotonic). */
  readonly wallClock: () => number;
}

export class CredentialError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CredentialError';
  }
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** Every certificate in a PEM text, in file order. */
export function parsePemCertificates(pem: string, what = 'PEM'): X509Certificate[] {
  const blocks = pem.match(PEM_CERT) ?? [];
  if (blocks.length === 0) throw new CredentialError(`${what}: no certificate found`);
  return blocks.map((b, i) => {
    try {
      return new X509Certificate(b);
    } catch (err) {
      throw new CredentialError(`${what}: certificate ${i + 1} unreadable (${(err as Error).message})`);
    }
  });
}

export interface CertCredentialsPem {
  /** Our certificate first, then any intermediates. */
  readonly certificate: string;
  readonly privateKey: string;
  /** One or more PEM texts of trusted CA certificates. */
  readonly caCertificates: string | readonly string[];
  readonly wallClock?: () => number;
}

/**
 * Builds the credentials from PEM texts, refusing what could never authenticate: a non-RSA key (only
 * method 3, RSA signatures, is built), a key that is not the certificate's, no trusted CA.
 */
export function certCredentialsFromPem(pem: CertCredentialsPem): CertCredentials {
  const [certificate, ...chain] = parsePemCertificates(pem.certificate, 'certificate');
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem.privateKey);
  } catch (err) {
    throw new CredentialError(`privateKey: unreadable (${(err as Error).message})`);
  }
  if (privateKey.asymmetricKeyType !== 'rsa') {
    throw new CredentialError(`privateKey: ${privateKey.asymmetricKeyType} key; only RSA is supported`);
  }
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new CredentialError('privateKey does not belong to the certificate');
  }
  const texts = typeof pem.caCertificates === 'string' ? [pem.caCertificates] : pem.caCertificates;
  const trustedCas = texts.flatMap((t) => parsePemCertificates(t, 'caCertificates'));
  return {
    certificate,
    chain,
    privateKey,
    trustedCas,
    subjectDn: certificateNames(certificate.raw).subject,
    caDns: trustedCas.map((c) => certificateNames(c.raw).subject),
    wallClock: pem.wallClock ?? Date.now,
  };
}

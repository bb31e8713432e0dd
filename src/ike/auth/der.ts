/**
 * Just enough DER (X.690 section 8.1) to take the issuer and subject Names out of an X.509 certificate
 * (RFC 5280 section 4.1) as raw bytes: IKEv1 carries a Distinguished Name as its DER encoding in
 * ID_DER_ASN1_DN (RFC 2407 section 4.6.2.9) and in a Certificate Request's authority (RFC 2408 s3.10), and
 * node:crypto's X509Certificate only offers them as text.
 */

export class DerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DerError';
  }
}

interface Tlv {
  readonly tag: number;
  /** Offset of the contents. */
  readonly start: number;
  /** Offset after the contents. */
  readonly end: number;
  /** Offset of the tag (the whole element is [offset, end)). */
  readonly offset: number;
}

function readTlv(b: Uint8Array, offset: number, limit: number): Tlv {
  if (offset + 2 > limit) throw new DerError('truncated element');
  const tag = b[offset];
  if ((tag & 0x1f) === 0x1f) throw new DerError('multi-byte tags are not used in certificates');
  let len = b[offset + 1];
  let start = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    // X.690 section 10.1 (DER): definite, minimal lengths; four octets bound any certificate.
    if (n === 0 || n > 4 || start + n > limit) throw new DerError('bad length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[start + i];
    start += n;
  }
  const end = start + len;
  if (end > limit) throw new DerError('element overruns its container');
  return { tag, start, end, offset };
}

const SEQUENCE = 0x30;
/** [0] EXPLICIT Version (RFC 5280 section 4.1.2.1). */
const VERSION_TAG = 0xa0;

/** The DER of the issuer and subject Names of a DER certificate (RFC 5280 section 4.1). */
export function certificateNames(der: Uint8Array): { issuer: Buffer; subject: Buffer } {
  const cert = readTlv(der, 0, der.length);
  if (cert.tag !== SEQUENCE) throw new DerError('certificate is not a SEQUENCE');
  const tbs = readTlv(der, cert.start, cert.end);
  if (tbs.tag !== SEQUENCE) throw new DerError('tbsCertificate is not a SEQUENCE');
  // tbsCertificate: [0] version?, serialNumber, signature, issuer, validity, subject, …
  const fields: Tlv[] = [];
  let off = tbs.start;
  while (off < tbs.end && fields.length < 6) {
    const f = readTlv(der, off, tbs.end);
    fields.push(f);
    off = f.end;
  }
  const base = fields[0]?.tag === VERSION_TAG ? 1 : 0;
  const issuer = fields[base + 2];
  const subject = fields[base + 4];
  if (!issuer || !subject || issuer.tag !== SEQUENCE || subject.tag !== SEQUENCE) {
    throw new DerError('tbsCertificate without issuer and subject');
  }
  return {
    issuer: Buffer.from(der.subarray(issuer.offset, issuer.end)),
    subject: Buffer.from(der.subarray(subject.offset, subject.end)),
  };
}

/**
 * The transform registry: every algorithm l2tpsec negotiates, keyed by the numbers IANA gives it in IKEv1
 * (RFC 2409 Appendix A phase-1 attributes) and in the IPsec DOI (RFC 2407 section 4.4.4 ESP transform IDs,
 * section 4.5 authentication-algorithm attribute values). IKE's policy and ESP's SA both read this table, so
 * a number means the same thing everywhere.
 */

/** Hash functions underneath HMAC, PRFs and IKE's hash attribute. */
export type HashName = 'md5' | 'sha1' | 'sha256' | 'sha384' | 'sha512';

export interface HashSpec {
  readonly name: HashName;
  /** Digest length in bytes. */
  readonly size: number;
  /** HMAC block length in bytes. */
  readonly blockSize: number;
  /** IKEv1 phase-1 Hash Algorithm attribute value (RFC 2409 App. A; SHA-2 values per RFC 4868 section 4). */
  readonly ikeHashId: number;
}

export const HASHES: Readonly<Record<HashName, HashSpec>> = {
  md5: { name: 'md5', size: 16, blockSize: 64, ikeHashId: 1 },
  sha1: { name: 'sha1', size: 20, blockSize: 64, ikeHashId: 2 },
  sha256: { name: 'sha256', size: 32, blockSize: 64, ikeHashId: 4 },
  sha384: { name: 'sha384', size: 48, blockSize: 128, ikeHashId: 5 },
  sha512: { name: 'sha512', size: 64, blockSize: 128, ikeHashId: 6 },
};

/**
 * A reverse index built once, on first use: every proposal a peer sends is read through these lookups,
 * so none of them should build an array per call. The first entry with a given number wins, as find did.
 */
function indexBy<T>(values: readonly T[], num: (v: T) => number | undefined): (id: number) => T | undefined {
  let index: Map<number, T> | undefined;
  return (id) => {
    if (!index) {
      index = new Map();
      for (const v of values) {
        const n = num(v);
        if (n !== undefined && !index.has(n)) index.set(n, v);
      }
    }
    return index.get(id);
  };
}

const hashByIkeIdIndex = indexBy(Object.values(HASHES) as HashSpec[], (h) => h.ikeHashId);

export function hashByIkeId(id: number): HashSpec | undefined {
  return hashByIkeIdIndex(id);
}

/** Block ciphers in CBC mode, and AES-GCM as an AEAD (ESP only, RFC 4106). */
export type CipherName = 'aes-cbc' | '3des-cbc' | 'aes-gcm-16';

export interface CipherSpec {
  readonly name: CipherName;
  readonly kind: 'cbc' | 'aead';
  /** IKEv1 phase-1 Encryption Algorithm attribute (RFC 2409 App. A; AES = 7 per RFC 3602 section 5). */
  readonly ikeId: number | undefined;
  /** IPsec DOI ESP transform ID (RFC 2407 section 4.4.4; AES = 12 per RFC 3602, AES-GCM-16 = 20 per RFC 4106). */
  readonly espId: number;
  /** Allowed key lengths in bits. The first is the default when no Key Length attribute is sent. */
  readonly keyBits: readonly number[];
  /** Whether the Key Length attribute must be present (AES: RFC 3602 section 5 / RFC 4106 section 8.1). */
  readonly keyLengthAttribute: boolean;
  /** Cipher block size in bytes (padding boundary for CBC; 4 for GCM per RFC 4106 section 3.2). */
  readonly blockSize: number;
  /** Per-packet IV length on the wire. */
  readonly ivSize: number;
  /** Bytes of KEYMAT beyond the cipher key used as a nonce salt (RFC 4106 section 8.1). */
  readonly saltSize: number;
  /** AEAD tag length; 0 for CBC (whose ICV comes from the integrity transform). */
  readonly icvSize: number;
}

export const CIPHERS: Readonly<Record<CipherName, CipherSpec>> = {
  'aes-cbc': {
    name: 'aes-cbc',
    kind: 'cbc',
    ikeId: 7,
    espId: 12,
    keyBits: [128, 192, 256],
    keyLengthAttribute: true,
    blockSize: 16,
    ivSize: 16,
    saltSize: 0,
    icvSize: 0,
  },
  '3des-cbc': {
    name: '3des-cbc',
    kind: 'cbc',
    ikeId: 5,
    espId: 3,
    keyBits: [192],
    keyLengthAttribute: false,
    blockSize: 8,
    ivSize: 8,
    saltSize: 0,
    icvSize: 0,
  },
  'aes-gcm-16': {
    name: 'aes-gcm-16',
    kind: 'aead',
    ikeId: undefined,
    espId: 20,
    keyBits: [128, 192, 256],
    keyLengthAttribute: true,
    blockSize: 4,
    ivSize: 8,
    saltSize: 4,
    icvSize: 16,
  },
};

const cipherByIkeIdIndex = indexBy(Object.values(CIPHERS) as CipherSpec[], (c) => c.ikeId);
const cipherByEspIdIndex = indexBy(Object.values(CIPHERS) as CipherSpec[], (c) => c.espId);

export function cipherByIkeId(id: number): CipherSpec | undefined {
  return cipherByIkeIdIndex(id);
}

export function cipherByEspId(id: number): CipherSpec | undefined {
  return cipherByEspIdIndex(id);
}

/** OpenSSL cipher name for a CBC or GCM cipher at a key length (bits). */
export function opensslCipherName(cipher: CipherSpec, keyBits: number): string {
  if (cipher.name === '3des-cbc') return 'des-ede3-cbc';
  return cipher.kind === 'aead' ? `aes-${keyBits}-gcm` : `aes-${keyBits}-cbc`;
}

/** ESP integrity (authentication) algorithms: HMAC truncated to an ICV. */
export type IntegrityName =
  | 'hmac-md5-96'
  | 'hmac-sha1-96'
  | 'hmac-sha256-128'
  | 'hmac-sha384-192'
  | 'hmac-sha512-256';

export interface IntegritySpec {
  readonly name: IntegrityName;
  readonly hash: HashName;
  /** Key length in bytes (RFC 2403, 2404: the digest length; RFC 4868 section 2.1.1 likewise). */
  readonly keySize: number;
  /** Truncated ICV length in bytes. */
  readonly icvSize: number;
  /** IPsec DOI Authentication Algorithm attribute value (RFC 2407 section 4.5; SHA-2 per RFC 4868 section 4). */
  readonly espAuthId: number;
}

export const INTEGRITY: Readonly<Record<IntegrityName, IntegritySpec>> = {
  'hmac-md5-96': { name: 'hmac-md5-96', hash: 'md5', keySize: 16, icvSize: 12, espAuthId: 1 },
  'hmac-sha1-96': { name: 'hmac-sha1-96', hash: 'sha1', keySize: 20, icvSize: 12, espAuthId: 2 },
  'hmac-sha256-128': { name: 'hmac-sha256-128', hash: 'sha256', keySize: 32, icvSize: 16, espAuthId: 5 },
  'hmac-sha384-192': { name: 'hmac-sha384-192', hash: 'sha384', keySize: 48, icvSize: 24, espAuthId: 6 },
  'hmac-sha512-256': { name: 'hmac-sha512-256', hash: 'sha512', keySize: 64, icvSize: 32, espAuthId: 7 },
};

const integrityByEspAuthIdIndex = indexBy(Object.values(INTEGRITY) as IntegritySpec[], (i) => i.espAuthId);

export function integrityByEspAuthId(id: number): IntegritySpec | undefined {
  return integrityByEspAuthIdIndex(id);
}

/** Diffie-Hellman groups (IKEv1 Group Description attribute, RFC 2409 section 6, RFC 3526, RFC 5903). */
export type DhGroupId = 1 | 2 | 5 | 14 | 15 | 16 | 17 | 18 | 19 | 20 | 21;

export interface DhGroupSpec {
  readonly id: DhGroupId;
  readonly kind: 'modp' | 'ecp';
  /** Prime length in bits (MODP) or field size in bits (ECP). */
  readonly bits: number;
  /** KE payload length in bytes: the MODP prime length, or x‖y for ECP (RFC 5903 section 7). */
  readonly publicSize: number;
  /** Shared secret length in bytes: the prime length (MODP) or x alone (ECP, RFC 5903 section 9). */
  readonly secretSize: number;
}

function modp(id: DhGroupId, bits: number): DhGroupSpec {
  return { id, kind: 'modp', bits, publicSize: bits / 8, secretSize: bits / 8 };
}

function ecp(id: DhGroupId, bits: number): DhGroupSpec {
  const n = Math.ceil(bits / 8);
  return { id, kind: 'ecp', bits, publicSize: 2 * n, secretSize: n };
}

export const DH_GROUPS: Readonly<Record<DhGroupId, DhGroupSpec>> = {
  1: modp(1, 768),
  2: modp(2, 1024),
  5: modp(5, 1536),
  14: modp(14, 2048),
  15: modp(15, 3072),
  16: modp(16, 4096),
  17: modp(17, 6144),
  18: modp(18, 8192),
  19: ecp(19, 256),
  20: ecp(20, 384),
  21: ecp(21, 521),
};

export function dhGroupById(id: number): DhGroupSpec | undefined {
  return (DH_GROUPS as Readonly<Record<number, DhGroupSpec>>)[id];
}

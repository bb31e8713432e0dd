/**
 * The naive ESP reference: what a straightforward Node implementation does, new cipher and HMAC objects per
 * packet (RFC 4303 section 3.3 / 3.4 read literally). `bench/esp.ts` measures l2tpsec against it, and the
 * ESP tests cross-check l2tpsec's SA against it in both directions.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { type CipherSpec, HASHES, type IntegritySpec, opensslCipherName } from '../src/crypto/registry.js';

/** The keys and algorithms of one SA, as the references need them. */
export interface NaiveSa {
  readonly spi: number;
  readonly cipher: CipherSpec;
  readonly keyBits: number;
  /** Cipher key (+ 4-byte salt for GCM). */
  readonly encryptionKey: Buffer;
  readonly integrity: IntegritySpec | 'none';
  readonly integrityKey: Buffer;
  /** ICV length actually sent (differs from the spec only for the SHA-256 96-bit truncation bug). */
  readonly icvSize: number;
}

/** RFC 4303 section 2.4 trailer: padding 1, 2, 3, ... (or `padding` as given), Pad Length, Next Header. */
export function withTrailer(
  payload: Uint8Array,
  nextHeader: number,
  block: number,
  padding?: Uint8Array,
): Buffer {
  const padLength = padding?.length ?? (block - ((payload.length + 2) % block)) % block;
  const out = Buffer.alloc(payload.length + padLength + 2);
  out.set(payload, 0);
  for (let i = 0; i < padLength; i++) out[payload.length + i] = padding ? padding[i] : i + 1;
  out[out.length - 2] = padLength;
  out[out.length - 1] = nextHeader;
  return out;
}

export function header(spi: number, seq: number): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt32BE(spi, 0);
  h.writeUInt32BE(seq >>> 0, 4);
  return h;
}

/**
 * Seals one ESP packet the straightforward way (RFC 4303 section 3.3): new objects for everything. `iv`
 * defaults to random (CBC) or the 64-bit sequence number (GCM); `padding` overrides the RFC padding bytes
 * (tests use it to build authentic packets with bad padding).
 */
export function naiveSeal(
  sa: NaiveSa,
  seq: number,
  payload: Uint8Array,
  nextHeader: number,
  iv?: Uint8Array,
  padding?: Uint8Array,
): Buffer {
  const block = sa.cipher.kind === 'aead' ? 4 : sa.cipher.blockSize;
  return naiveSealPlaintext(sa, seq, withTrailer(payload, nextHeader, block, padding), iv);
}

/** Encrypts and authenticates `plaintext` as given (payload, padding and trailer already laid out). */
export function naiveSealPlaintext(sa: NaiveSa, seq: number, plaintext: Uint8Array, iv?: Uint8Array): Buffer {
  const hdr = header(sa.spi, seq);
  const alg = opensslCipherName(sa.cipher, sa.keyBits);
  const k = sa.keyBits / 8;
  if (sa.cipher.kind === 'aead') {
    const ivBuf = iv ? Buffer.from(iv) : Buffer.concat([Buffer.alloc(4), header(0, seq).subarray(4)]);
    const nonce = Buffer.concat([sa.encryptionKey.subarray(k, k + 4), ivBuf]);
    const c = createCipheriv(alg as 'aes-128-gcm', sa.encryptionKey.subarray(0, k), nonce, {
      authTagLength: 16,
    });
    c.setAAD(hdr);
    const ct = Buffer.concat([c.update(plaintext), c.final()]);
    return Buffer.concat([hdr, ivBuf, ct, c.getAuthTag()]);
  }
  const ivBuf = iv ? Buffer.from(iv) : randomBytes(sa.cipher.ivSize);
  const c = createCipheriv(alg, sa.encryptionKey, ivBuf);
  c.setAutoPadding(false);
  const ct = Buffer.concat([c.update(plaintext), c.final()]);
  if (sa.integrity === 'none') return Buffer.concat([hdr, ivBuf, ct]);
  const h = createHmac(HASHES[sa.integrity.hash].name, sa.integrityKey);
  h.update(hdr);
  h.update(ivBuf);
  h.update(ct);
  const icv = h.digest().subarray(0, sa.icvSize);
  return Buffer.concat([hdr, ivBuf, ct, icv]);
}

export interface NaiveOpened {
  readonly nextHeader: number;
  readonly payload: Buffer;
}

/** Opens one ESP packet the straightforward way; returns a reason string when it must be dropped. */
export function naiveOpen(sa: NaiveSa, packet: Buffer): NaiveOpened | 'bad-icv' | 'bad-padding' {
  const alg = opensslCipherName(sa.cipher, sa.keyBits);
  const k = sa.keyBits / 8;
  let plain: Buffer;
  if (sa.cipher.kind === 'aead') {
    const nonce = Buffer.concat([sa.encryptionKey.subarray(k, k + 4), packet.subarray(8, 16)]);
    const d = createDecipheriv(alg as 'aes-128-gcm', sa.encryptionKey.subarray(0, k), nonce, {
      authTagLength: 16,
    });
    d.setAAD(packet.subarray(0, 8));
    d.setAuthTag(packet.subarray(packet.length - 16));
    try {
      plain = Buffer.concat([d.update(packet.subarray(16, packet.length - 16)), d.final()]);
    } catch {
      return 'bad-icv';
    }
  } else {
    const icvEnd = packet.length - (sa.integrity === 'none' ? 0 : sa.icvSize);
    if (sa.integrity !== 'none') {
      const h = createHmac(HASHES[sa.integrity.hash].name, sa.integrityKey);
      h.update(packet.subarray(0, icvEnd));
      if (!h.digest().subarray(0, sa.icvSize).equals(packet.subarray(icvEnd))) return 'bad-icv';
    }
    const iv = packet.subarray(8, 8 + sa.cipher.ivSize);
    const d = createDecipheriv(alg, sa.encryptionKey, iv);
    d.setAutoPadding(false);
    plain = Buffer.concat([d.update(packet.subarray(8 + sa.cipher.ivSize, icvEnd)), d.final()]);
  }
  const padLength = plain[plain.length - 2];
  const end = plain.length - 2 - padLength;
  if (end < 0) return 'bad-padding';
  for (let i = 0; i < padLength; i++) if (plain[end + i] !== i + 1) return 'bad-padding';
  return { nextHeader: plain[plain.length - 1], payload: plain.subarray(0, end) };
}

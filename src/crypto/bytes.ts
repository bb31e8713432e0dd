/** Small byte helpers shared by the crypto modules. */
import { CryptoError } from './errors.js';

/** `b` left-padded with zeros to `length` bytes (a fixed-length big-endian integer). */
export function leftPad(b: Uint8Array, length: number): Buffer {
  if (b.length === length) return Buffer.isBuffer(b) ? b : Buffer.from(b);
  if (b.length > length)
    throw new CryptoError('input-length', `value of ${b.length} bytes exceeds ${length}`);
  const out = Buffer.alloc(length);
  out.set(b, length - b.length);
  return out;
}

export function bytesToBigInt(b: Uint8Array): bigint {
  return b.length === 0
    ? 0n
    : BigInt(`0x${Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')}`);
}

export function bigIntToBytes(v: bigint, length: number): Buffer {
  const hex = v.toString(16);
  if (hex.length > 2 * length) throw new CryptoError('input-length', `integer does not fit ${length} bytes`);
  return Buffer.from(hex.padStart(2 * length, '0'), 'hex');
}

/** A 4-byte big-endian message ID (RFC 2408 section 3.1), as IKEv1's hashes and IVs take it. */
export function uint32be(v: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(v >>> 0, 0);
  return b;
}

/**
 * Hidden AVPs (RFC 2661 section 4.3). The hidden value is the subformat Original Length (2 octets) ‖ value ‖
 * padding, XORed 16 octets at a time with b(1) = MD5(Attribute Type ‖ secret ‖ Random Vector) and
 * b(i) = MD5(secret ‖ c(i-1)), where c(i-1) is the previous ciphertext block. The Random Vector is the most
 * recent Random Vector AVP before the hidden AVP in the same message.
 */
import { hash } from '../crypto/hash.js';
import { ErrorCode, StopCcnResult } from './constants.js';
import { L2tpProtocolError } from './errors.js';

const BLOCK = 16;

function typeBytes(type: number): Buffer {
  const b = Buffer.allocUnsafe(2);
  b.writeUInt16BE(type, 0);
  return b;
}

function xorStream(
  data: Buffer,
  type: number,
  secret: Uint8Array,
  vector: Uint8Array,
  decrypting: boolean,
): Buffer {
  const out = Buffer.allocUnsafe(data.length);
  let pad = hash('md5', typeBytes(type), secret, vector);
  for (let i = 0; i < data.length; i += BLOCK) {
    const n = Math.min(BLOCK, data.length - i);
    for (let j = 0; j < n; j++) out[i + j] = data[i + j] ^ pad[j];
    if (i + BLOCK < data.length) {
      // The chaining input is always the ciphertext block.
      const cipherBlock = decrypting ? data.subarray(i, i + BLOCK) : out.subarray(i, i + BLOCK);
      pad = hash('md5', secret, cipherBlock);
    }
  }
  return out;
}

/**
 * Hides `value`. `padding` (random bytes from the caller's Rng) is appended after the value; section 4.3
 * recommends padding so that the original length is not revealed.
 */
export function hideAvpValue(
  type: number,
  value: Uint8Array,
  secret: Uint8Array,
  vector: Uint8Array,
  padding: Uint8Array,
): Buffer {
  const plain = Buffer.allocUnsafe(2 + value.length + padding.length);
  plain.writeUInt16BE(value.length, 0);
  plain.set(value, 2);
  plain.set(padding, 2 + value.length);
  return xorStream(plain, type, secret, vector, false);
}

/** Reveals a hidden value; an Original Length that does not fit means the wrong secret or a corrupt AVP. */
export function unhideAvpValue(type: number, hidden: Buffer, secret: Uint8Array, vector: Uint8Array): Buffer {
  if (hidden.length < 2) {
    throw new L2tpProtocolError(
      'tunnel',
      StopCcnResult.GeneralError,
      ErrorCode.BadLength,
      `hidden AVP ${type} too short`,
    );
  }
  const plain = xorStream(hidden, type, secret, vector, true);
  const len = plain.readUInt16BE(0);
  if (len > plain.length - 2) {
    throw new L2tpProtocolError(
      'tunnel',
      StopCcnResult.GeneralError,
      ErrorCode.BadLength,
      `hidden AVP ${type}: original length ${len} exceeds ${plain.length - 2} (wrong secret?)`,
    );
  }
  return plain.subarray(2, 2 + len);
}

/**
 * MPPE key derivation from MS-CHAPv2 (RFC 3079 section 3). l2tpsec does not encrypt PPP (IPsec does), but
 * RADIUS hands these keys to the NAS (MS-MPPE-Send-Key / Recv-Key), so they must be right.
 */
import { createHash } from 'node:crypto';
import { CryptoError } from './errors.js';

// RFC 3079 section 3.4: the constants of GetMasterKey and GetAsymmetricStartKey.
const MASTER_MAGIC = Buffer.from('This is the MPPE Master Key', 'ascii');
const MAGIC2 = Buffer.from(
  'On the client side, this is the send key; on the server side, it is the receive key.',
  'ascii',
);
const MAGIC3 = Buffer.from(
  'On the client side, this is the receive key; on the server side, it is the send key.',
  'ascii',
);
const SHS_PAD1 = Buffer.alloc(40, 0x00);
const SHS_PAD2 = Buffer.alloc(40, 0xf2);

/** GetMasterKey = first 16 octets of SHA1(PasswordHashHash | NT-Response | Magic1) (RFC 3079 s3.4). */
export function mppeMasterKey(passwordHashHash: Uint8Array, ntResponse: Uint8Array): Buffer {
  if (passwordHashHash.length !== 16) {
    throw new CryptoError(
      'input-length',
      `PasswordHashHash must be 16 bytes, got ${passwordHashHash.length}`,
    );
  }
  if (ntResponse.length !== 24) {
    throw new CryptoError('input-length', `NT-Response must be 24 bytes, got ${ntResponse.length}`);
  }
  return createHash('sha1')
    .update(passwordHashHash)
    .update(ntResponse)
    .update(MASTER_MAGIC)
    .digest()
    .subarray(0, 16);
}

/**
 * GetAsymmetricStartKey (RFC 3079 section 3.4): SHA1(MasterKey | SHSpad1 | s | SHSpad2) truncated to the
 * session key length, where s is Magic2 for the client's send key and the server's receive key, Magic3 for
 * the other two.
 */
export function mppeAsymmetricStartKey(
  masterKey: Uint8Array,
  keyLength: 8 | 16,
  isSend: boolean,
  isServer: boolean,
): Buffer {
  if (masterKey.length !== 16)
    throw new CryptoError('key-length', `MasterKey must be 16 bytes, got ${masterKey.length}`);
  if (keyLength !== 8 && keyLength !== 16)
    throw new CryptoError('key-length', `session key length ${keyLength}`);
  const s = isSend === isServer ? MAGIC3 : MAGIC2;
  return createHash('sha1')
    .update(masterKey)
    .update(SHS_PAD1)
    .update(s)
    .update(SHS_PAD2)
    .digest()
    .subarray(0, keyLength);
}

/**
 * Typed crypto errors. A primitive given a wrong key length, truncated or non-block-multiple input, or an
 * invalid Diffie-Hellman public value throws one of these instead of returning garbage; the protocol layer
 * maps the code onto what it tells the peer (e.g. IKEv1 INVALID-KEY-INFORMATION for 'dh-public-value').
 */
export type CryptoErrorCode = 'key-length' | 'input-length' | 'dh-public-value' | 'unsupported';

export class CryptoError extends Error {
  readonly code: CryptoErrorCode;

  constructor(code: CryptoErrorCode, message: string) {
    super(message);
    this.name = 'CryptoError';
    this.code = code;
  }
}

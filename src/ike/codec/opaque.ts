/**
 * Payloads whose body is one opaque value: KE (RFC 2408 s3.7), HASH (s3.11), SIG (s3.12), NONCE (s3.13),
 * VID (s3.16) and NAT-D (RFC 3947 s3.2, draft number 130); and the CERT and CR payloads (s3.9, s3.10),
 * an encoding byte ahead of the data.
 */
import { PayloadType } from './constants.js';
import { IkeDecodeError } from './errors.js';

export type OpaqueType =
  | typeof PayloadType.KE
  | typeof PayloadType.HASH
  | typeof PayloadType.SIG
  | typeof PayloadType.NONCE
  | typeof PayloadType.VID
  | typeof PayloadType.NatD
  | typeof PayloadType.NatDDraft;

export interface OpaquePayload {
  readonly type: OpaqueType;
  readonly data: Buffer;
}

export interface CertPayload {
  readonly type: typeof PayloadType.CERT | typeof PayloadType.CR;
  readonly encoding: number;
  readonly data: Buffer;
}

/**
 * Length bounds per RFC: nonces 8..256 bytes (RFC 2409 section 5), every other opaque value non-empty.
 * The value is a copy unless `copy` is false: only for a buffer the caller owns outright (a decrypted
 * body), never for a received datagram the caller may reuse.
 */
export function decodeOpaqueBody(body: Buffer, type: OpaqueType, copy = true): OpaquePayload {
  if (type === PayloadType.NONCE && (body.length < 8 || body.length > 256)) {
    throw new IkeDecodeError(`nonce of ${body.length} bytes`);
  }
  if (body.length === 0) throw new IkeDecodeError(`empty payload of type ${type}`);
  return { type, data: copy ? Buffer.from(body) : body };
}

/** Writes the body (encoding byte, then the data) at `off`; returns the offset after it. */
export function encodeCertBodyInto(p: CertPayload, b: Buffer, off: number): number {
  b[off] = p.encoding;
  b.set(p.data, off + 1);
  return off + 1 + p.data.length;
}

export function decodeCertBody(body: Buffer, type: CertPayload['type']): CertPayload {
  if (body.length < 1) throw new IkeDecodeError('certificate payload without an encoding');
  if (type === PayloadType.CERT && body.length < 2) throw new IkeDecodeError('empty certificate');
  return { type, encoding: body[0], data: Buffer.from(body.subarray(1)) };
}

/**
 * The payload chain (RFC 2408 section 3.2): each payload's generic header names the type of the next one;
 * the ISAKMP header names the first. Decoding returns where each payload starts, because HASH and the
 * PSK authentication hashes are computed over exact payload bytes (RFC 2409 sections 5 and 5.5).
 */
import { GENERIC_HEADER_LENGTH, NotifyType, PayloadType } from './constants.js';
import { IkeDecodeError } from './errors.js';
import {
  decodeIdBody,
  decodeNatOaBody,
  encodeIdBodyInto,
  encodeNatOaBodyInto,
  type IdPayload,
  type NatOaPayload,
} from './identification.js';
import {
  type DeletePayload,
  decodeDeleteBody,
  decodeNotifyBody,
  encodeDeleteBodyInto,
  encodeNotifyBodyInto,
  type NotifyPayload,
} from './notification.js';
import {
  type CertPayload,
  decodeCertBody,
  decodeOpaqueBody,
  encodeCertBodyInto,
  type OpaquePayload,
} from './opaque.js';
import { decodeSaBody, encodeSaBodyInto, type SaPayload, saBodyLength } from './sa.js';

export type Payload =
  | SaPayload
  | IdPayload
  | NatOaPayload
  | NotifyPayload
  | DeletePayload
  | OpaquePayload
  | CertPayload;

/** Bounds the work one datagram can cause. */
export const MAX_PAYLOADS = 64;

/** The body of `p` in a buffer of its own (what `encodePayloadBodyInto` writes). */
export function encodePayloadBody(p: Payload): Buffer {
  // Uninitialised is safe: every encoder writes each byte of its body, reserved ones included.
  const b = Buffer.allocUnsafe(payloadBodyLength(p));
  if (encodePayloadBodyInto(p, b, 0) !== b.length) throw new Error(`payload ${p.type}: length mismatch`);
  return b;
}

/** The body length of `p`, without encoding it. */
export function payloadBodyLength(p: Payload): number {
  switch (p.type) {
    case PayloadType.SA:
      return saBodyLength(p);
    case PayloadType.ID:
      return 4 + p.data.length;
    case PayloadType.NatOA:
    case PayloadType.NatOADraft:
      return 4 + p.address.length;
    case PayloadType.N:
      return 8 + p.spi.length + p.data.length;
    case PayloadType.D:
      return 8 + p.spiSize * p.spis.length;
    case PayloadType.CERT:
    case PayloadType.CR:
      return 1 + p.data.length;
    default:
      return p.data.length;
  }
}

/** Writes the body of `p` at `off` (same bytes as encodePayloadBody); returns the offset after it. */
export function encodePayloadBodyInto(p: Payload, b: Buffer, off: number): number {
  switch (p.type) {
    case PayloadType.SA:
      return encodeSaBodyInto(p, b, off);
    case PayloadType.ID:
      return encodeIdBodyInto(p, b, off);
    case PayloadType.NatOA:
    case PayloadType.NatOADraft:
      return encodeNatOaBodyInto(p, b, off);
    case PayloadType.N:
      return encodeNotifyBodyInto(p, b, off);
    case PayloadType.D:
      return encodeDeleteBodyInto(p, b, off);
    case PayloadType.CERT:
    case PayloadType.CR:
      return encodeCertBodyInto(p, b, off);
    default:
      b.set(p.data, off);
      return off + p.data.length;
  }
}

/** `copy` false: opaque values are views of `body` (see decodeOpaqueBody: owned buffers only). */
export function decodePayloadBody(type: number, body: Buffer, copy = true): Payload {
  switch (type) {
    case PayloadType.SA:
      return decodeSaBody(body);
    case PayloadType.ID:
      return decodeIdBody(body);
    case PayloadType.NatOA:
    case PayloadType.NatOADraft:
      return decodeNatOaBody(body, type);
    case PayloadType.N:
      return decodeNotifyBody(body);
    case PayloadType.D:
      return decodeDeleteBody(body);
    case PayloadType.CERT:
    case PayloadType.CR:
      return decodeCertBody(body, type);
    case PayloadType.KE:
    case PayloadType.HASH:
    case PayloadType.SIG:
    case PayloadType.NONCE:
    case PayloadType.VID:
    case PayloadType.NatD:
    case PayloadType.NatDDraft:
      return decodeOpaqueBody(body, type, copy);
    default:
      throw new IkeDecodeError(`payload type ${type}`, NotifyType.InvalidPayloadType);
  }
}

/** Encodes a chain (the ISAKMP header names the first payload's type: firstPayloadType). */
export function encodePayloads(payloads: readonly Payload[]): Buffer {
  // Uninitialised is safe: encodePayloadsInto writes every byte (tested into dirty buffers).
  const out = Buffer.allocUnsafe(payloadsLength(payloads));
  if (encodePayloadsInto(payloads, out, 0) !== out.length) throw new Error('payload length mismatch');
  return out;
}

/** The encoded length of a chain: every generic header and body. */
export function payloadsLength(payloads: readonly Payload[]): number {
  let len = 0;
  for (let i = 0; i < payloads.length; i++) len += GENERIC_HEADER_LENGTH + payloadBodyLength(payloads[i]);
  return len;
}

/**
 * Writes a chain at `off`, each body straight into `out` (no buffer per payload); `out` must hold
 * payloadsLength(payloads) bytes from `off`. Returns the offset after the last payload.
 */
export function encodePayloadsInto(payloads: readonly Payload[], out: Buffer, off: number): number {
  for (let i = 0; i < payloads.length; i++) {
    const p = payloads[i];
    const start = off;
    const end = encodePayloadBodyInto(p, out, start + GENERIC_HEADER_LENGTH);
    const total = end - start;
    if (total > 0xffff) throw new RangeError('payload longer than 65535 bytes');
    out[start] = i + 1 < payloads.length ? payloads[i + 1].type : PayloadType.None;
    out[start + 1] = 0;
    out.writeUInt16BE(total, start + 2);
    off = end;
  }
  return off;
}

export function firstPayloadType(payloads: readonly Payload[]): number {
  return payloads.length > 0 ? payloads[0].type : PayloadType.None;
}

export interface PayloadChain {
  readonly payloads: readonly Payload[];
  /** Offset of each payload's generic header within the decoded buffer. */
  readonly offsets: readonly number[];
  /** Offset just past the last payload (padding, if any, follows). */
  readonly end: number;
}

/**
 * Decodes a chain starting with `firstType`. Every length is checked against what remains; bytes after
 * the last payload are refused unless `allowTrailing` (the padding of an encrypted body, RFC 2408 s3.1).
 * `owned`: `buf` is the caller's own (a decrypted body nobody else holds), so opaque values (HASH, NONCE,
 * KE, …) may be views of it instead of copies.
 */
export function decodePayloads(
  firstType: number,
  buf: Buffer,
  allowTrailing = false,
  owned = false,
): PayloadChain {
  const payloads: Payload[] = [];
  const offsets: number[] = [];
  let off = 0;
  let next = firstType;
  while (next !== PayloadType.None) {
    if (payloads.length >= MAX_PAYLOADS) throw new IkeDecodeError('too many payloads');
    if (buf.length - off < GENERIC_HEADER_LENGTH) throw new IkeDecodeError('truncated payload header');
    const len = buf.readUInt16BE(off + 2);
    if (len < GENERIC_HEADER_LENGTH || off + len > buf.length) {
      throw new IkeDecodeError(`payload length ${len} with ${buf.length - off} bytes left`);
    }
    offsets.push(off);
    payloads.push(decodePayloadBody(next, buf.subarray(off + GENERIC_HEADER_LENGTH, off + len), !owned));
    next = buf[off];
    off += len;
  }
  if (!allowTrailing && off !== buf.length) throw new IkeDecodeError('bytes after the last payload');
  return { payloads, offsets, end: off };
}

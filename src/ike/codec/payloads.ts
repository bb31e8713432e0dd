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
  encodeIdBody,
  encodeNatOaBody,
  type IdPayload,
  type NatOaPayload,
} from './identification.js';
import {
  type DeletePayload,
  decodeDeleteBody,
  decodeNotifyBody,
  encodeDeleteBody,
  encodeNotifyBody,
  type NotifyPayload,
} from './notification.js';
import {
  type CertPayload,
  decodeCertBody,
  decodeOpaqueBody,
  encodeCertBody,
  type OpaquePayload,
} from './opaque.js';
import { decodeSaBody, encodeSaBody, type SaPayload } from './sa.js';

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

export function encodePayloadBody(p: Payload): Buffer {
  switch (p.type) {
    case PayloadType.SA:
      return encodeSaBody(p);
    case PayloadType.ID:
      return encodeIdBody(p);
    case PayloadType.NatOA:
    case PayloadType.NatOADraft:
      return encodeNatOaBody(p);
    case PayloadType.N:
      return encodeNotifyBody(p);
    case PayloadType.D:
      return encodeDeleteBody(p);
    case PayloadType.CERT:
    case PayloadType.CR:
      return encodeCertBody(p);
    default:
      return p.data;
  }
}

export function decodePayloadBody(type: number, body: Buffer): Payload {
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
      return decodeOpaqueBody(body, type);
    default:
      throw new IkeDecodeError(`payload type ${type}`, NotifyType.InvalidPayloadType);
  }
}

/** Encodes a chain; returns the bytes and the type of the first payload (for the ISAKMP header). */
export function encodePayloads(payloads: readonly Payload[]): Buffer {
  const bodies = payloads.map(encodePayloadBody);
  let len = 0;
  for (const b of bodies) len += GENERIC_HEADER_LENGTH + b.length;
  const out = Buffer.alloc(len);
  let off = 0;
  bodies.forEach((body, i) => {
    const total = GENERIC_HEADER_LENGTH + body.length;
    if (total > 0xffff) throw new RangeError('payload longer than 65535 bytes');
    out[off] = i + 1 < payloads.length ? payloads[i + 1].type : PayloadType.None;
    out[off + 1] = 0;
    out.writeUInt16BE(total, off + 2);
    body.copy(out, off + GENERIC_HEADER_LENGTH);
    off += total;
  });
  return out;
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
 */
export function decodePayloads(firstType: number, buf: Buffer, allowTrailing = false): PayloadChain {
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
    payloads.push(decodePayloadBody(next, buf.subarray(off + GENERIC_HEADER_LENGTH, off + len)));
    next = buf[off];
    off += len;
  }
  if (!allowTrailing && off !== buf.length) throw new IkeDecodeError('bytes after the last payload');
  return { payloads, offsets, end: off };
}

/**
 * A whole ISAKMP message in the clear: header plus payload chain (RFC 2408 section 3). Encrypted messages
 * are assembled by the exchange code, which owns the IV chain (RFC 2409 Appendix B).
 */
import { HEADER_LENGTH, HeaderFlag, ISAKMP_VERSION } from './constants.js';
import { IkeDecodeError } from './errors.js';
import { decodeHeader, encodeHeaderInto, type IsakmpHeader } from './header.js';
import {
  decodePayloads,
  encodePayloads,
  firstPayloadType,
  type Payload,
  type PayloadChain,
} from './payloads.js';

export interface MessageHead {
  readonly initiatorCookie: Buffer;
  readonly responderCookie: Buffer;
  readonly exchangeType: number;
  readonly flags: number;
  readonly messageId: number;
}

export interface DecodedMessage {
  readonly header: IsakmpHeader;
  readonly chain: PayloadChain;
  /** The bytes the chain offsets refer to (the body after the header). */
  readonly body: Buffer;
}

/** Frames `body` (already a payload chain, possibly encrypted) with a header. */
export function frameMessage(head: MessageHead, nextPayload: number, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(HEADER_LENGTH + body.length);
  encodeHeaderInto(
    {
      initiatorCookie: head.initiatorCookie,
      responderCookie: head.responderCookie,
      nextPayload,
      version: ISAKMP_VERSION,
      exchangeType: head.exchangeType,
      flags: head.flags,
      messageId: head.messageId,
      length: out.length,
    },
    out,
  );
  body.copy(out, HEADER_LENGTH);
  return out;
}

export function encodeMessage(head: MessageHead, payloads: readonly Payload[]): Buffer {
  return frameMessage(head, firstPayloadType(payloads), encodePayloads(payloads));
}

/** Decodes a clear-text message; an encrypted one is refused here (its body needs the SA's keys). */
export function decodeMessage(buf: Buffer): DecodedMessage {
  const header = decodeHeader(buf);
  if (header.flags & HeaderFlag.Encryption) throw new IkeDecodeError('encrypted message needs keys');
  const body = buf.subarray(HEADER_LENGTH);
  return { header, chain: decodePayloads(header.nextPayload, body), body };
}

/**
 * A whole ISAKMP message in the clear: header plus payload chain (RFC 2408 section 3). Encrypted messages
 * are assembled by the exchange code, which owns the IV chain (RFC 2409 Appendix B).
 */
import { HEADER_LENGTH, HeaderFlag, ISAKMP_VERSION } from './constants.js';
import { IkeDecodeError } from './errors.js';
import { decodeHeader, encodeHeaderInto, type IsakmpHeader } from './header.js';
import {
  decodePayloads,
  encodePayloadsInto,
  firstPayloadType,
  type Payload,
  type PayloadChain,
  payloadsLength,
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

/**
 * Frames `body` (already a payload chain, possibly encrypted) with a header; `extraFlags` are or-ed into
 * the head's flags (the Encryption bit of a sealed message).
 */
export function frameMessage(head: MessageHead, nextPayload: number, body: Buffer, extraFlags = 0): Buffer {
  const out = Buffer.allocUnsafe(HEADER_LENGTH + body.length);
  writeHead(head, nextPayload, head.flags | extraFlags, out);
  out.set(body, HEADER_LENGTH);
  return out;
}

/**
 * A clear message, its payloads encoded straight after the header in one buffer. The buffer comes from
 * Node's pool uninitialised: the header and the chain encoders write every byte of it (the in-place
 * encoders are tested into dirty buffers), and an unpooled zeroed buffer costs several times more.
 */
export function encodeMessage(head: MessageHead, payloads: readonly Payload[]): Buffer {
  const out = Buffer.allocUnsafe(HEADER_LENGTH + payloadsLength(payloads));
  writeHead(head, firstPayloadType(payloads), head.flags, out);
  // Never send a byte the encoders did not write (it would be whatever the pool held before).
  if (encodePayloadsInto(payloads, out, HEADER_LENGTH) !== out.length)
    throw new Error('payload length mismatch');
  return out;
}

function writeHead(head: MessageHead, nextPayload: number, flags: number, out: Buffer): void {
  encodeHeaderInto(
    {
      initiatorCookie: head.initiatorCookie,
      responderCookie: head.responderCookie,
      nextPayload,
      version: ISAKMP_VERSION,
      exchangeType: head.exchangeType,
      flags,
      messageId: head.messageId,
      length: out.length,
    },
    out,
  );
}

/** Decodes a clear-text message; an encrypted one is refused here (its body needs the SA's keys). */
export function decodeMessage(buf: Buffer): DecodedMessage {
  const header = decodeHeader(buf);
  if (header.flags & HeaderFlag.Encryption) throw new IkeDecodeError('encrypted message needs keys');
  const body = buf.subarray(HEADER_LENGTH);
  return { header, chain: decodePayloads(header.nextPayload, body), body };
}

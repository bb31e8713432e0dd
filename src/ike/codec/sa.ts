/**
 * The Security Association payload and the Proposal and Transform payloads nested in it
 * (RFC 2408 sections 3.4, 3.5, 3.6; IPsec DOI situation per RFC 2407 section 4.6.1).
 */
import {
  attributesLength,
  type DataAttribute,
  decodeAttributes,
  encodeAttributesInto,
} from './attributes.js';
import { DOI_IPSEC, NotifyType, PayloadType, SIT_IDENTITY_ONLY } from './constants.js';
import { IkeDecodeError } from './errors.js';

export interface Transform {
  readonly number: number;
  readonly id: number;
  readonly attributes: readonly DataAttribute[];
}

export interface Proposal {
  readonly number: number;
  readonly protocolId: number;
  readonly spi: Buffer;
  readonly transforms: readonly Transform[];
}

export interface SaPayload {
  readonly type: typeof PayloadType.SA;
  readonly doi: number;
  readonly situation: number;
  readonly proposals: readonly Proposal[];
}

function transformLength(t: Transform): number {
  return 8 + attributesLength(t.attributes);
}

function proposalLength(p: Proposal): number {
  let n = 8 + p.spi.length;
  for (const t of p.transforms) n += transformLength(t);
  return n;
}

/** The encoded body length: DOI, situation and every proposal with its transforms. */
export function saBodyLength(sa: SaPayload): number {
  let len = 8;
  for (const p of sa.proposals) len += proposalLength(p);
  return len;
}

export function encodeSaBody(sa: SaPayload): Buffer {
  // Uninitialised is safe: encodeSaBodyInto writes every byte, reserved ones included.
  const b = Buffer.allocUnsafe(saBodyLength(sa));
  if (encodeSaBodyInto(sa, b, 0) !== b.length) throw new Error('SA length mismatch');
  return b;
}

/** Writes the body at `off` (reserved bytes zeroed); returns the offset after it. */
export function encodeSaBodyInto(sa: SaPayload, b: Buffer, start: number): number {
  b.writeUInt32BE(sa.doi, start);
  b.writeUInt32BE(sa.situation, start + 4);
  let off = start + 8;
  const props = sa.proposals;
  for (let i = 0; i < props.length; i++) {
    const p = props[i];
    const plen = proposalLength(p);
    if (plen > 0xffff || p.spi.length > 255 || p.transforms.length > 255) {
      throw new RangeError('proposal too large');
    }
    b[off] = i + 1 < props.length ? PayloadType.Proposal : PayloadType.None;
    b[off + 1] = 0;
    b.writeUInt16BE(plen, off + 2);
    b[off + 4] = p.number;
    b[off + 5] = p.protocolId;
    b[off + 6] = p.spi.length;
    b[off + 7] = p.transforms.length;
    b.set(p.spi, off + 8);
    let toff = off + 8 + p.spi.length;
    const ts = p.transforms;
    for (let j = 0; j < ts.length; j++) {
      const t = ts[j];
      b[toff] = j + 1 < ts.length ? PayloadType.Transform : PayloadType.None;
      b[toff + 1] = 0;
      b.writeUInt16BE(transformLength(t), toff + 2);
      b[toff + 4] = t.number;
      b[toff + 5] = t.id;
      b[toff + 6] = 0;
      b[toff + 7] = 0;
      toff = encodeAttributesInto(t.attributes, b, toff + 8);
    }
    off += plen;
  }
  return off;
}

/**
 * Decodes an SA body. A DOI other than IPsec is DOI-NOT-SUPPORTED and a situation other than
 * SIT_IDENTITY_ONLY is SITUATION-NOT-SUPPORTED (RFC 2408 section 5.2); broken nesting is
 * BAD-PROPOSAL-SYNTAX (section 5.4) or PAYLOAD-MALFORMED where a length overruns.
 */
export function decodeSaBody(body: Buffer): SaPayload {
  if (body.length < 8) throw new IkeDecodeError('SA payload shorter than DOI + situation');
  const doi = body.readUInt32BE(0);
  if (doi !== DOI_IPSEC) throw new IkeDecodeError(`DOI ${doi}`, NotifyType.DoiNotSupported);
  const situation = body.readUInt32BE(4);
  if (situation !== SIT_IDENTITY_ONLY) {
    throw new IkeDecodeError(`situation ${situation}`, NotifyType.SituationNotSupported);
  }
  const proposals: Proposal[] = [];
  let off = 8;
  let next: number = off < body.length ? PayloadType.Proposal : PayloadType.None;
  while (next !== PayloadType.None) {
    if (next !== PayloadType.Proposal) {
      throw new IkeDecodeError(`payload ${next} inside SA`, NotifyType.BadProposalSyntax);
    }
    if (body.length - off < 8) throw new IkeDecodeError('truncated proposal');
    next = body[off];
    const plen = body.readUInt16BE(off + 2);
    if (plen < 8 || off + plen > body.length) throw new IkeDecodeError(`proposal length ${plen}`);
    const spiSize = body[off + 6];
    const count = body[off + 7];
    if (8 + spiSize > plen) throw new IkeDecodeError('proposal SPI overruns the proposal');
    const spi = Buffer.from(body.subarray(off + 8, off + 8 + spiSize));
    const transforms: Transform[] = [];
    let toff = off + 8 + spiSize;
    const pend = off + plen;
    for (let i = 0; i < count; i++) {
      if (pend - toff < 8) throw new IkeDecodeError('truncated transform');
      const tnext = body[toff];
      const tlen = body.readUInt16BE(toff + 2);
      if (tlen < 8 || toff + tlen > pend) throw new IkeDecodeError(`transform length ${tlen}`);
      const expectNext = i + 1 < count ? PayloadType.Transform : PayloadType.None;
      if (tnext !== expectNext) {
        throw new IkeDecodeError('transform count disagrees with its chain', NotifyType.BadProposalSyntax);
      }
      transforms.push({
        number: body[toff + 4],
        id: body[toff + 5],
        attributes: decodeAttributes(body.subarray(toff + 8, toff + tlen)),
      });
      toff += tlen;
    }
    if (toff !== pend) throw new IkeDecodeError('proposal length disagrees with its transforms');
    proposals.push({ number: body[off + 4], protocolId: body[off + 5], spi, transforms });
    off = pend;
  }
  if (off !== body.length) throw new IkeDecodeError('bytes after the last proposal');
  return { type: PayloadType.SA, doi, situation, proposals };
}

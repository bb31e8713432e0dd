/**
 * The Notification and Delete payloads (RFC 2408 sections 3.14 and 3.15), both DOI + protocol + SPI
 * carriers.
 */
import { PayloadType } from './constants.js';
import { IkeDecodeError } from './errors.js';

export interface NotifyPayload {
  readonly type: typeof PayloadType.N;
  readonly doi: number;
  readonly protocolId: number;
  readonly notifyType: number;
  readonly spi: Buffer;
  readonly data: Buffer;
}

export interface DeletePayload {
  readonly type: typeof PayloadType.D;
  readonly doi: number;
  readonly protocolId: number;
  readonly spiSize: number;
  readonly spis: readonly Buffer[];
}

/** Writes the body at `off`; returns the offset after it. */
export function encodeNotifyBodyInto(p: NotifyPayload, b: Buffer, off: number): number {
  b.writeUInt32BE(p.doi, off);
  b[off + 4] = p.protocolId;
  b[off + 5] = p.spi.length;
  b.writeUInt16BE(p.notifyType, off + 6);
  b.set(p.spi, off + 8);
  b.set(p.data, off + 8 + p.spi.length);
  return off + 8 + p.spi.length + p.data.length;
}

export function decodeNotifyBody(body: Buffer): NotifyPayload {
  if (body.length < 8) throw new IkeDecodeError('notification shorter than its header');
  const spiSize = body[5];
  if (8 + spiSize > body.length) throw new IkeDecodeError('notification SPI overruns the payload');
  return {
    type: PayloadType.N,
    doi: body.readUInt32BE(0),
    protocolId: body[4],
    notifyType: body.readUInt16BE(6),
    spi: Buffer.from(body.subarray(8, 8 + spiSize)),
    data: Buffer.from(body.subarray(8 + spiSize)),
  };
}

/** Writes the body at `off`; returns the offset after it. */
export function encodeDeleteBodyInto(p: DeletePayload, b: Buffer, off: number): number {
  b.writeUInt32BE(p.doi, off);
  b[off + 4] = p.protocolId;
  b[off + 5] = p.spiSize;
  b.writeUInt16BE(p.spis.length, off + 6);
  let o = off + 8;
  for (const s of p.spis) {
    if (s.length !== p.spiSize) throw new RangeError('SPI size mismatch in delete');
    b.set(s, o);
    o += p.spiSize;
  }
  return o;
}

export function decodeDeleteBody(body: Buffer): DeletePayload {
  if (body.length < 8) throw new IkeDecodeError('delete shorter than its header');
  const spiSize = body[5];
  const count = body.readUInt16BE(6);
  if (body.length !== 8 + spiSize * count)
    throw new IkeDecodeError('delete SPI list disagrees with its length');
  const spis: Buffer[] = [];
  for (let i = 0; i < count; i++)
    spis.push(Buffer.from(body.subarray(8 + i * spiSize, 8 + (i + 1) * spiSize)));
  return { type: PayloadType.D, doi: body.readUInt32BE(0), protocolId: body[4], spiSize, spis };
}

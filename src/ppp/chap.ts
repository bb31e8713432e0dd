/**
 * CHAP packets (RFC 1994 section 4): Challenge and Response carry Value-Size, Value and Name; Success and
 * Failure carry a Message. MS-CHAPv2 (RFC 2759 section 3–6) uses the same four packets.
 */
import { PppDecodeError } from './packet.js';

export const CHAP_CODE = { CHALLENGE: 1, RESPONSE: 2, SUCCESS: 3, FAILURE: 4 } as const;

export type ChapPacket =
  | {
      readonly code: typeof CHAP_CODE.CHALLENGE | typeof CHAP_CODE.RESPONSE;
      readonly id: number;
      readonly value: Buffer;
      readonly name: string;
    }
  | {
      readonly code: typeof CHAP_CODE.SUCCESS | typeof CHAP_CODE.FAILURE;
      readonly id: number;
      readonly message: string;
    };

export function encodeChapPacket(p: ChapPacket): Buffer {
  const body =
    'value' in p
      ? Buffer.concat([Buffer.of(p.value.length), p.value, Buffer.from(p.name, 'utf8')])
      : Buffer.from(p.message, 'utf8');
  const out = Buffer.allocUnsafe(4 + body.length);
  out[0] = p.code;
  out[1] = p.id;
  out.writeUInt16BE(out.length, 2);
  body.copy(out, 4);
  return out;
}

export function decodeChapPacket(buf: Uint8Array): ChapPacket {
  if (buf.length < 4) throw new PppDecodeError('short-packet', `CHAP packet of ${buf.length} bytes`);
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.length);
  const length = b.readUInt16BE(2);
  if (length < 4 || length > b.length) throw new PppDecodeError('bad-length', `CHAP Length ${length}`);
  const code = b[0];
  const id = b[1];
  const data = b.subarray(4, length);
  if (code === CHAP_CODE.CHALLENGE || code === CHAP_CODE.RESPONSE) {
    if (data.length < 1 || data[0] < 1 || 1 + data[0] > data.length) {
      throw new PppDecodeError('bad-length', 'CHAP Value-Size runs past the packet');
    }
    return {
      code,
      id,
      value: Buffer.from(data.subarray(1, 1 + data[0])),
      name: data.subarray(1 + data[0]).toString('utf8'),
    };
  }
  if (code === CHAP_CODE.SUCCESS || code === CHAP_CODE.FAILURE) {
    return { code, id, message: data.toString('utf8') };
  }
  throw new PppDecodeError('bad-length', `unknown CHAP code ${code}`);
}

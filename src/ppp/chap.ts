/**
 * CHAP packets (RFC 1994 section 4): Challenge and Response carry Value-Size, Value and Name; Success and
 * Failure carry a Message. MS-CHAPv2 (RFC 2759 section 3–6) uses the same four packets.
 */
import { decodeCpPacket, encodeCpPacket, PppDecodeError } from './packet.js';

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
  // RFC 1994 section 4: the same Code / Identifier / Length framing as LCP (RFC 1661 section 5).
  return encodeCpPacket({ code: p.code, id: p.id, data: body });
}

export function decodeChapPacket(buf: Uint8Array): ChapPacket {
  const { code, id, data } = decodeCpPacket(buf);
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

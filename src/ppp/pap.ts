/**
 * PAP packets (RFC 1334 section 2.2): Authenticate-Request carries Peer-ID and Password, each behind a
 * one-octet length; Authenticate-Ack and -Nak carry a Message behind a one-octet length.
 */
import { decodeCpPacket, encodeCpPacket, PppDecodeError } from './packet.js';

export const PAP_CODE = { REQUEST: 1, ACK: 2, NAK: 3 } as const;

export type PapPacket =
  | {
      readonly code: typeof PAP_CODE.REQUEST;
      readonly id: number;
      readonly peerId: string;
      readonly password: string;
    }
  | {
      readonly code: typeof PAP_CODE.ACK | typeof PAP_CODE.NAK;
      readonly id: number;
      readonly message: string;
    };

function lengthPrefixed(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  if (b.length > 255) throw new RangeError('PAP field longer than 255 bytes');
  return Buffer.concat([Buffer.of(b.length), b]);
}

export function encodePapPacket(p: PapPacket): Buffer {
  const body =
    p.code === PAP_CODE.REQUEST
      ? Buffer.concat([lengthPrefixed(p.peerId), lengthPrefixed(p.password)])
      : lengthPrefixed(p.message);
  // RFC 1334 section 2.2: the same Code / Identifier / Length framing as LCP (RFC 1661 section 5).
  return encodeCpPacket({ code: p.code, id: p.id, data: body });
}

export function decodePapPacket(buf: Uint8Array): PapPacket {
  const { code, id, data } = decodeCpPacket(buf);
  const field = (at: number): [string, number] => {
    if (at >= data.length || at + 1 + data[at] > data.length) {
      throw new PppDecodeError('bad-length', 'PAP field runs past the packet');
    }
    return [data.subarray(at + 1, at + 1 + data[at]).toString('utf8'), at + 1 + data[at]];
  };
  if (code === PAP_CODE.REQUEST) {
    const [peerId, next] = field(0);
    const [password] = field(next);
    return { code, id, peerId, password };
  }
  if (code === PAP_CODE.ACK || code === PAP_CODE.NAK) {
    // A Message-Length of zero may be omitted by lax peers: treat an empty body as an empty message.
    return { code, id, message: data.length === 0 ? '' : field(0)[0] };
  }
  throw new PppDecodeError('bad-length', `unknown PAP code ${code}`);
}

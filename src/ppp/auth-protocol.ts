/**
 * The LCP Authentication-Protocol option (RFC 1661 section 6.2) and the methods it names: PAP (RFC 1334,
 * 0xc023), CHAP with algorithm 5 = MD5 (RFC 1994 section 3) or 0x81 = MS-CHAPv2 (RFC 2759 section 2), and
 * EAP (RFC 3748, 0xc227), which we recognise only to Nak it.
 */
import type { CpOption } from './packet.js';
import { PPP_PROTOCOL } from './protocol.js';

export type AuthMethod = 'mschapv2' | 'chap-md5' | 'pap';

export const AUTH_METHODS: readonly AuthMethod[] = ['mschapv2', 'chap-md5', 'pap'];

export const CHAP_ALGORITHM = { MD5: 5, MSCHAPV1: 0x80, MSCHAPV2: 0x81 } as const;

export const LCP_AUTH_OPTION = 3;

/** What a peer's Authentication-Protocol option asks for; `malformed` when its length is wrong. */
export type RequestedAuth = AuthMethod | 'eap' | 'mschapv1' | 'other' | 'malformed';

export function encodeAuthOption(method: AuthMethod): CpOption {
  if (method === 'pap') {
    const d = Buffer.allocUnsafe(2);
    d.writeUInt16BE(PPP_PROTOCOL.PAP);
    return { type: LCP_AUTH_OPTION, data: d };
  }
  const d = Buffer.allocUnsafe(3);
  d.writeUInt16BE(PPP_PROTOCOL.CHAP);
  d[2] = method === 'mschapv2' ? CHAP_ALGORITHM.MSCHAPV2 : CHAP_ALGORITHM.MD5;
  return { type: LCP_AUTH_OPTION, data: d };
}

export function decodeAuthOption(data: Buffer): RequestedAuth {
  if (data.length < 2) return 'malformed';
  const protocol = data.readUInt16BE(0);
  if (protocol === PPP_PROTOCOL.PAP) return data.length === 2 ? 'pap' : 'malformed';
  if (protocol === PPP_PROTOCOL.EAP) return 'eap';
  if (protocol !== PPP_PROTOCOL.CHAP) return 'other';
  if (data.length !== 3) return 'malformed';
  if (data[2] === CHAP_ALGORITHM.MD5) return 'chap-md5';
  if (data[2] === CHAP_ALGORITHM.MSCHAPV2) return 'mschapv2';
  if (data[2] === CHAP_ALGORITHM.MSCHAPV1) return 'mschapv1';
  return 'other';
}

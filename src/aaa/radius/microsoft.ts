/**
 * The Microsoft vendor-specific attributes of RFC 2548 (Vendor-Id 311) that carry MS-CHAPv2 (RFC 2759)
 * through RADIUS: MS-CHAP-Challenge (the authenticator challenge), MS-CHAP2-Response (section 2.3.2),
 * MS-CHAP2-Success (section 2.3.3) and MS-CHAP-Error (the failure packet's text, "E=691 R=0 …").
 */
import { RadiusDecodeError, RadiusEncodeError } from './packet.js';

/** RFC 2548 section 2: Microsoft's SMI Network Management Private Enterprise Code. */
export const MICROSOFT_VENDOR_ID = 311;

export const MicrosoftAttribute = {
  MsChapError: 2,
  /** The authenticator challenge: 16 octets for MS-CHAPv2. */
  MsChapChallenge: 11,
  /** MPPE keys (salt-encrypted); not used here, IPsec already protects the link. */
  MsMppeSendKey: 16,
  MsMppeRecvKey: 17,
  /** Section 2.3.2. */
  MsChap2Response: 25,
  /** Section 2.3.3. */
  MsChap2Success: 26,
} as const;

export interface MsChap2Response {
  /** The PPP CHAP Identifier of the Response packet. */
  readonly ident: number;
  readonly peerChallenge: Buffer;
  readonly ntResponse: Buffer;
}

/** Section 2.3.2: Ident, Flags (0), Peer-Challenge (16), Reserved (8 zero), Response (24): 50 octets. */
export function encodeMsChap2Response(r: MsChap2Response): Buffer {
  if (r.peerChallenge.length !== 16 || r.ntResponse.length !== 24) {
    throw new RadiusEncodeError(
      'MS-CHAP2-Response needs a 16-octet peer challenge and a 24-octet NT-Response',
    );
  }
  const out = Buffer.alloc(50);
  out[0] = r.ident;
  out[1] = 0;
  r.peerChallenge.copy(out, 2);
  r.ntResponse.copy(out, 26);
  return out;
}

export function decodeMsChap2Response(value: Buffer): MsChap2Response {
  if (value.length !== 50)
    throw new RadiusDecodeError('bad-value', `MS-CHAP2-Response of ${value.length} octets`);
  return {
    ident: value[0],
    peerChallenge: Buffer.from(value.subarray(2, 18)),
    ntResponse: Buffer.from(value.subarray(26, 50)),
  };
}

/** Section 2.3.3 (and MS-CHAP-Error likewise): an Ident octet, then the message text. */
export interface IdentText {
  readonly ident: number;
  readonly text: string;
}

export function encodeIdentText(v: IdentText): Buffer {
  return Buffer.concat([Buffer.of(v.ident), Buffer.from(v.text, 'latin1')]);
}

export function decodeIdentText(value: Buffer): IdentText {
  if (value.length < 1) throw new RadiusDecodeError('bad-value', 'empty Ident-and-String attribute');
  return { ident: value[0], text: value.subarray(1).toString('latin1') };
}

/** RFC 2759 section 5: the authenticator response is "S=" and 40 hex digits. */
export function isAuthenticatorResponse(text: string): boolean {
  return /^S=[0-9A-Fa-f]{40}$/.test(text);
}

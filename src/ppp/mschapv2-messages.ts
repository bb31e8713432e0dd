/**
 * The MS-CHAPv2 parts of the CHAP packets (RFC 2759): the 49-octet Response value (section 4), the Success
 * message "S=<authenticator response> M=<text>" (section 5) and the Failure message
 * "E=eeeeeeeeee R=r C=cccc… V=vvvv M=<text>" (section 6).
 */

export const MSCHAPV2_CHALLENGE_LENGTH = 16;
export const MSCHAPV2_RESPONSE_LENGTH = 49;

/** RFC 2759 section 6: the error code for a wrong user name or password. */
export const ERROR_AUTHENTICATION_FAILURE = 691;

export interface MsChapV2ResponseValue {
  readonly peerChallenge: Buffer;
  readonly ntResponse: Buffer;
  readonly flags: number;
}

/** Section 4: Peer-Challenge (16), Reserved (8, zero), NT-Response (24), Flags (1, zero). */
export function encodeMsChapV2Response(v: MsChapV2ResponseValue): Buffer {
  const out = Buffer.alloc(MSCHAPV2_RESPONSE_LENGTH);
  v.peerChallenge.copy(out, 0);
  v.ntResponse.copy(out, 24);
  out[48] = v.flags;
  return out;
}

export function decodeMsChapV2Response(value: Buffer): MsChapV2ResponseValue | undefined {
  if (value.length !== MSCHAPV2_RESPONSE_LENGTH) return undefined;
  return {
    peerChallenge: Buffer.from(value.subarray(0, 16)),
    ntResponse: Buffer.from(value.subarray(24, 48)),
    flags: value[48],
  };
}

export function formatSuccessMessage(authenticatorResponse: string, text: string): string {
  return `${authenticatorResponse} M=${text}`;
}

/** The authenticator response of a Success message ("S=" + 40 hex digits), upper-cased; else undefined. */
export function parseSuccessMessage(message: string): string | undefined {
  const m = /^S=([0-9A-Fa-f]{40})(?:\s|$)/.exec(message);
  return m ? `S=${m[1].toUpperCase()}` : undefined;
}

export interface MsChapV2Failure {
  readonly error: number;
  /** R=1 invites a retry; Windows re-prompts in a loop on it, so the server always sends R=0. */
  readonly retry: boolean;
  readonly challenge?: Buffer;
  readonly version?: number;
  readonly text?: string;
}

export function formatFailureMessage(f: MsChapV2Failure): string {
  const parts = [`E=${f.error}`, `R=${f.retry ? 1 : 0}`];
  if (f.challenge) parts.push(`C=${f.challenge.toString('hex').toUpperCase()}`);
  if (f.version !== undefined) parts.push(`V=${f.version}`);
  if (f.text !== undefined) parts.push(`M=${f.text}`);
  return parts.join(' ');
}

export function parseFailureMessage(message: string): MsChapV2Failure | undefined {
  const e = /(?:^|\s)E=(\d+)/.exec(message);
  if (!e) return undefined;
  const r = /(?:^|\s)R=([01])/.exec(message);
  const c = /(?:^|\s)C=([0-9A-Fa-f]{32})(?:\s|$)/.exec(message);
  const v = /(?:^|\s)V=(\d+)/.exec(message);
  const m = /(?:^|\s)M=(.*)$/s.exec(message);
  return {
    error: Number(e[1]),
    retry: r?.[1] === '1',
    ...(c ? { challenge: Buffer.from(c[1], 'hex') } : {}),
    ...(v ? { version: Number(v[1]) } : {}),
    ...(m ? { text: m[1] } : {}),
  };
}

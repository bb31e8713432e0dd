/**
 * The authenticator interface: what PPP asks of a user database. PPP's authenticator role hands over what
 * the peer proved (a PAP password, a CHAP-MD5 response, an MS-CHAPv2 NT-Response) and gets back a verdict
 * plus the user's attributes. Asynchronous, so a RADIUS backend (RFC 2865; MS-CHAP2-Success of RFC 2548
 * section 2.3.3 carries the authenticator response) can slot in beside the local users file.
 */

export type AuthRequest =
  /** RFC 1334 section 2.2.1: the cleartext password. */
  (
    | { readonly method: 'pap'; readonly user: string; readonly password: string }
    /** RFC 1994 section 4.1: Response = MD5(Identifier ‖ secret ‖ Challenge). */
    | {
        readonly method: 'chap-md5';
        readonly user: string;
        readonly id: number;
        readonly challenge: Buffer;
        readonly response: Buffer;
      }
    /** RFC 2759 section 4: `user` is the Name field as sent (possibly DOMAIN\user). */
    | {
        readonly method: 'mschapv2';
        readonly user: string;
        /** The CHAP Identifier of the Response (RADIUS echoes it in MS-CHAP2-Response, RFC 2548 s2.3.2). */
        readonly id?: number;
        readonly authenticatorChallenge: Buffer;
        readonly peerChallenge: Buffer;
        readonly ntResponse: Buffer;
      }
  ) & {
    /** The client's outer (public) address: RADIUS Calling-Station-Id (RFC 2865 section 5.31), logs. */
    readonly callingStationId?: string;
  };

/** Per-user settings the server applies once the user is known. */
export interface UserAttributes {
  /** A fixed inner IPv4 address instead of one from the pool. */
  readonly staticAddress?: string;
}

export type AuthResult =
  | {
      readonly ok: true;
      /** The canonical user name (as found in the database). */
      readonly user: string;
      readonly attributes: UserAttributes;
      /** MS-CHAPv2 only: "S=" and 40 upper-case hex digits (RFC 2759 section 8.7). */
      readonly authenticatorResponse?: string;
    }
  | { readonly ok: false; readonly reason: string };

export interface Authenticator {
  verify(request: AuthRequest): Promise<AuthResult>;
}

/**
 * RFC 2759 section 8.2 hashes the user name without any domain: a Windows peer sends "DOMAIN\user" in the
 * Name field but hashes only "user" (pppd strips at the last backslash the same way).
 */
export function challengeUserName(name: string): string {
  const at = name.lastIndexOf('\\');
  return at < 0 ? name : name.slice(at + 1);
}

/**
 * `Authenticator` over RADIUS (RFC 2865): PPP's proof becomes an Access-Request — PAP as User-Password
 * (section 5.2), CHAP-MD5 as CHAP-Password + CHAP-Challenge (sections 5.3, 5.40), MS-CHAPv2 as
 * MS-CHAP-Challenge + MS-CHAP2-Response (RFC 2548 section 2.3.2) — and the verified reply becomes the
 * verdict: Access-Accept → ok (Framed-IP-Address as the static address; MS-CHAP2-Success, section 2.3.3,
 * as the "S=" authenticator response), Access-Reject/Challenge, silence or a full queue → ok:false with a
 * reason. Never throws: PPP always gets an answer.
 */
import type { Authenticator, AuthRequest, AuthResult, UserAttributes } from '../authenticator.js';
import {
  AttributeType,
  addressAttribute,
  FramedProtocol,
  findAttribute,
  integerAttribute,
  NasPortType,
  readAddress,
  readText,
  ServiceType,
  TunnelMediumType,
  TunnelType,
  taggedIntegerAttribute,
  textAttribute,
} from './attributes.js';
import { encodeChapPassword } from './chap-password.js';
import {
  decodeIdentText,
  encodeMsChap2Response,
  isAuthenticatorResponse,
  MICROSOFT_VENDOR_ID,
  MicrosoftAttribute,
} from './microsoft.js';
import { type RadiusAttribute, RadiusCode, RadiusDecodeError, type RadiusPacket } from './packet.js';
import type { RadiusClient } from './radius-client.js';
import { hideUserPassword } from './user-password.js';
import { encodeVendorSpecific, findVendorAttribute } from './vendor-specific.js';

/**
 * What RADIUS can use beyond PPP's proof. `callingStationId` is the client's outer address (RFC 2865
 * section 5.31); an embedding that knows it adds it to the request.
 */
export type RadiusAuthRequest = AuthRequest;

export interface RadiusNasOptions {
  /** RFC 2865 section 5.32; sent when set, and as "l2tpsec" when neither it nor nasIpAddress is. */
  readonly nasIdentifier?: string;
  /** RFC 2865 section 5.4. */
  readonly nasIpAddress?: string;
}

/** RFC 2865 section 5.8: these two Framed-IP-Address values mean "the NAS chooses" (the pool). */
const POOL_ADDRESSES = new Set(['255.255.255.254', '255.255.255.255']);

/** The NAS-identifying and service attributes every request of this NAS carries (section 4.1, 5.6, 5.7). */
export function nasAttributes(nas: RadiusNasOptions, callingStationId?: string): RadiusAttribute[] {
  const attrs: RadiusAttribute[] = [];
  if (nas.nasIpAddress !== undefined)
    attrs.push(addressAttribute(AttributeType.NasIpAddress, nas.nasIpAddress));
  if (nas.nasIdentifier !== undefined || nas.nasIpAddress === undefined) {
    attrs.push(textAttribute(AttributeType.NasIdentifier, nas.nasIdentifier ?? 'l2tpsec'));
  }
  attrs.push(
    integerAttribute(AttributeType.NasPortType, NasPortType.Virtual),
    integerAttribute(AttributeType.ServiceType, ServiceType.Framed),
    integerAttribute(AttributeType.FramedProtocol, FramedProtocol.PPP),
    // RFC 2868 section 3.1/3.2, as a hint of the tunnel this user arrives through.
    taggedIntegerAttribute(AttributeType.TunnelType, 0, TunnelType.L2TP),
    taggedIntegerAttribute(AttributeType.TunnelMediumType, 0, TunnelMediumType.IPv4),
  );
  if (callingStationId !== undefined && callingStationId !== '') {
    attrs.push(textAttribute(AttributeType.CallingStationId, callingStationId));
  }
  return attrs;
}

/** The method-specific attributes carrying the peer's proof. */
function proofAttributes(
  request: AuthRequest,
  secret: Buffer,
  requestAuthenticator: Buffer,
): RadiusAttribute[] {
  switch (request.method) {
    case 'pap':
      return [
        {
          type: AttributeType.UserPassword,
          value: hideUserPassword(Buffer.from(request.password, 'utf8'), secret, requestAuthenticator),
        },
      ];
    case 'chap-md5':
      return [
        {
          type: AttributeType.ChapPassword,
          value: encodeChapPassword({ id: request.id, response: request.response }),
        },
        { type: AttributeType.ChapChallenge, value: request.challenge },
      ];
    case 'mschapv2':
      return [
        encodeVendorSpecific(MICROSOFT_VENDOR_ID, [
          { type: MicrosoftAttribute.MsChapChallenge, value: request.authenticatorChallenge },
        ]),
        encodeVendorSpecific(MICROSOFT_VENDOR_ID, [
          {
            type: MicrosoftAttribute.MsChap2Response,
            // RFC 2548 section 2.3.2: Ident is the PPP CHAP Identifier of the peer's Response.
            value: encodeMsChap2Response({
              ident: request.id ?? 0,
              peerChallenge: request.peerChallenge,
              ntResponse: request.ntResponse,
            }),
          },
        ]),
      ];
  }
}

function rejectReason(reply: RadiusPacket): string {
  const parts = ['RADIUS Access-Reject'];
  const message = findAttribute(reply, AttributeType.ReplyMessage);
  if (message) parts.push(readText(message));
  const error = findVendorAttribute(reply, MICROSOFT_VENDOR_ID, MicrosoftAttribute.MsChapError);
  if (error) parts.push(decodeIdentText(error.value).text);
  return parts.join(': ');
}

/** Turns a verified Access-Accept into the verdict PPP applies. */
export function acceptResult(request: AuthRequest, reply: RadiusPacket): AuthResult {
  const framed = findAttribute(reply, AttributeType.FramedIpAddress);
  const address = framed ? readAddress(framed) : undefined;
  const attributes: UserAttributes =
    address !== undefined && !POOL_ADDRESSES.has(address) ? { staticAddress: address } : {};
  // Section 5.1: a User-Name in the Accept is the name to use from now on (accounting too).
  const userName = findAttribute(reply, AttributeType.UserName);
  const user = userName ? readText(userName) : request.user;
  if (request.method !== 'mschapv2') return { ok: true, user, attributes };
  const success = findVendorAttribute(reply, MICROSOFT_VENDOR_ID, MicrosoftAttribute.MsChap2Success);
  // Without the authenticator response the peer cannot finish mutual authentication: treat as failure.
  if (!success) return { ok: false, reason: 'RADIUS Access-Accept without MS-CHAP2-Success' };
  const text = decodeIdentText(success.value).text;
  if (!isAuthenticatorResponse(text)) return { ok: false, reason: 'RADIUS MS-CHAP2-Success is malformed' };
  return { ok: true, user, attributes, authenticatorResponse: `S=${text.slice(2).toUpperCase()}` };
}

export class RadiusAuthenticator implements Authenticator {
  constructor(
    private readonly client: RadiusClient,
    private readonly nas: RadiusNasOptions = {},
  ) {}

  async verify(request: RadiusAuthRequest): Promise<AuthResult> {
    const common = [
      textAttribute(AttributeType.UserName, request.user),
      ...nasAttributes(this.nas, request.callingStationId),
    ];
    let reply: RadiusPacket;
    try {
      reply = await this.client.exchange({
        service: 'auth',
        code: RadiusCode.AccessRequest,
        attributes: ({ secret, requestAuthenticator }) => [
          ...common,
          ...proofAttributes(request, secret, requestAuthenticator),
        ],
      });
    } catch (err) {
      // RadiusTimeoutError (every server silent), RadiusBusyError (too many in flight), or an encoding limit.
      return { ok: false, reason: `RADIUS: ${(err as Error).message}` };
    }
    try {
      switch (reply.code) {
        case RadiusCode.AccessAccept:
          return acceptResult(request, reply);
        case RadiusCode.AccessReject:
          return { ok: false, reason: rejectReason(reply) };
        default:
          return { ok: false, reason: 'RADIUS Access-Challenge is not supported for PPP authentication' };
      }
    } catch (err) {
      if (err instanceof RadiusDecodeError) return { ok: false, reason: `RADIUS reply: ${err.message}` };
      throw err;
    }
  }
}

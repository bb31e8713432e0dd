/**
 * RADIUS attribute types and value formats (RFC 2865 section 5, RFC 2866 section 5, RFC 2868 for the
 * tunnel attributes, RFC 2869 section 5 for Acct-*-Gigawords, RFC 3579 section 3.2 for
 * Message-Authenticator). Values are text (UTF-8), string (octets), address (4 octets) or integer
 * (32-bit big-endian); helpers build and read them, throwing `RadiusDecodeError` on a wrong size.
 */
import { type RadiusAttribute, RadiusDecodeError, type RadiusPacket } from './packet.js';

export const AttributeType = {
  UserName: 1,
  UserPassword: 2,
  ChapPassword: 3,
  NasIpAddress: 4,
  NasPort: 5,
  ServiceType: 6,
  FramedProtocol: 7,
  FramedIpAddress: 8,
  ReplyMessage: 18,
  State: 24,
  Class: 25,
  VendorSpecific: 26,
  SessionTimeout: 27,
  IdleTimeout: 28,
  CalledStationId: 30,
  CallingStationId: 31,
  NasIdentifier: 32,
  ProxyState: 33,
  AcctStatusType: 40,
  AcctDelayTime: 41,
  AcctInputOctets: 42,
  AcctOutputOctets: 43,
  AcctSessionId: 44,
  AcctAuthentic: 45,
  AcctSessionTime: 46,
  AcctInputPackets: 47,
  AcctOutputPackets: 48,
  AcctTerminateCause: 49,
  AcctInputGigawords: 52,
  AcctOutputGigawords: 53,
  EventTimestamp: 55,
  ChapChallenge: 60,
  NasPortType: 61,
  TunnelType: 64,
  TunnelMediumType: 65,
  MessageAuthenticator: 80,
} as const;

/** RFC 2865 section 5.6. */
export const ServiceType = { Login: 1, Framed: 2 } as const;
/** RFC 2865 section 5.7. */
export const FramedProtocol = { PPP: 1 } as const;
/** RFC 2865 section 5.41. */
export const NasPortType = { Virtual: 5 } as const;
/** RFC 2868 section 3.1 / 3.2: L2TP over IPv4. */
export const TunnelType = { L2TP: 3 } as const;
export const TunnelMediumType = { IPv4: 1 } as const;
/** RFC 2866 section 5.1. */
export const AcctStatusType = {
  Start: 1,
  Stop: 2,
  InterimUpdate: 3,
  AccountingOn: 7,
  AccountingOff: 8,
} as const;
/** RFC 2866 section 5.6. */
export const AcctAuthentic = { RADIUS: 1, Local: 2 } as const;
/** RFC 2866 section 5.10. */
export const AcctTerminateCause = {
  UserRequest: 1,
  LostCarrier: 2,
  LostService: 3,
  IdleTimeout: 4,
  SessionTimeout: 5,
  AdminReset: 6,
  AdminReboot: 7,
  PortError: 8,
  NasError: 9,
  NasRequest: 10,
  NasReboot: 11,
} as const;

export function textAttribute(type: number, text: string): RadiusAttribute {
  return { type, value: Buffer.from(text, 'utf8') };
}

export function integerAttribute(type: number, n: number): RadiusAttribute {
  const value = Buffer.alloc(4);
  value.writeUInt32BE(n >>> 0);
  return { type, value };
}

/** RFC 2868 section 3: Tunnel-Type and Tunnel-Medium-Type carry a Tag octet before a 24-bit value. */
export function taggedIntegerAttribute(type: number, tag: number, n: number): RadiusAttribute {
  const value = Buffer.alloc(4);
  value.writeUInt32BE(n & 0xffffff);
  value[0] = tag;
  return { type, value };
}

export function addressAttribute(type: number, dotted: string): RadiusAttribute {
  const parts = dotted.split('.').map((p) => Number(p));
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new RangeError(`"${dotted}" is not an IPv4 address`);
  }
  return { type, value: Buffer.from(parts) };
}

export function readInteger(a: RadiusAttribute): number {
  if (a.value.length !== 4)
    throw new RadiusDecodeError('bad-value', `attribute ${a.type}: integer of ${a.value.length} octets`);
  return a.value.readUInt32BE(0);
}

export function readAddress(a: RadiusAttribute): string {
  if (a.value.length !== 4)
    throw new RadiusDecodeError('bad-value', `attribute ${a.type}: address of ${a.value.length} octets`);
  return `${a.value[0]}.${a.value[1]}.${a.value[2]}.${a.value[3]}`;
}

export function readText(a: RadiusAttribute): string {
  return a.value.toString('utf8');
}

export function findAttribute(packet: RadiusPacket, type: number): RadiusAttribute | undefined {
  return packet.attributes.find((a) => a.type === type);
}

export function findAttributes(packet: RadiusPacket, type: number): RadiusAttribute[] {
  return packet.attributes.filter((a) => a.type === type);
}

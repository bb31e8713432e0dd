/**
 * RFC 2661 numbers: control message types (section 3.2), AVP attribute types (section 4.4), and the
 * Result and Error codes carried in the Result Code AVP (section 4.4.2).
 */

/** Control message types (RFC 2661 section 3.2). */
export const MessageType = {
  SCCRQ: 1,
  SCCRP: 2,
  SCCCN: 3,
  StopCCN: 4,
  HELLO: 6,
  OCRQ: 7,
  OCRP: 8,
  OCCN: 9,
  ICRQ: 10,
  ICRP: 11,
  ICCN: 12,
  CDN: 14,
  WEN: 15,
  SLI: 16,
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

const MESSAGE_NAMES = new Map<number, string>(Object.entries(MessageType).map(([k, v]) => [v, k]));

export function messageTypeName(t: number): string {
  return MESSAGE_NAMES.get(t) ?? `type-${t}`;
}

export function isMessageType(t: number): t is MessageType {
  return MESSAGE_NAMES.has(t);
}

/** Messages that belong to a session (section 4.1: an unknown M-bit AVP in one of these ends only the session). */
export function isSessionMessage(t: number): boolean {
  return (
    t === MessageType.ICRQ ||
    t === MessageType.ICRP ||
    t === MessageType.ICCN ||
    t === MessageType.OCRQ ||
    t === MessageType.OCRP ||
    t === MessageType.OCCN ||
    t === MessageType.CDN ||
    t === MessageType.WEN ||
    t === MessageType.SLI
  );
}

/** AVP attribute types, IETF vendor 0 (RFC 2661 section 4.4). */
export const AvpType = {
  MessageType: 0,
  ResultCode: 1,
  ProtocolVersion: 2,
  FramingCapabilities: 3,
  BearerCapabilities: 4,
  TieBreaker: 5,
  FirmwareRevision: 6,
  HostName: 7,
  VendorName: 8,
  AssignedTunnelId: 9,
  ReceiveWindowSize: 10,
  Challenge: 11,
  Q931CauseCode: 12,
  ChallengeResponse: 13,
  AssignedSessionId: 14,
  CallSerialNumber: 15,
  MinimumBps: 16,
  MaximumBps: 17,
  BearerType: 18,
  FramingType: 19,
  CalledNumber: 21,
  CallingNumber: 22,
  SubAddress: 23,
  TxConnectSpeed: 24,
  PhysicalChannelId: 25,
  InitialReceivedLcpConfReq: 26,
  LastSentLcpConfReq: 27,
  LastReceivedLcpConfReq: 28,
  ProxyAuthenType: 29,
  ProxyAuthenName: 30,
  ProxyAuthenChallenge: 31,
  ProxyAuthenId: 32,
  ProxyAuthenResponse: 33,
  CallErrors: 34,
  Accm: 35,
  RandomVector: 36,
  PrivateGroupId: 37,
  RxConnectSpeed: 38,
  SequencingRequired: 39,
} as const;
export type AvpType = (typeof AvpType)[keyof typeof AvpType];

const KNOWN_AVPS = new Set<number>(Object.values(AvpType));

export function isKnownAvp(vendorId: number, type: number): boolean {
  return vendorId === 0 && KNOWN_AVPS.has(type);
}

/** StopCCN Result Codes (RFC 2661 section 4.4.2). */
export const StopCcnResult = {
  GeneralClear: 1,
  GeneralError: 2,
  AlreadyExists: 3,
  NotAuthorized: 4,
  UnsupportedVersion: 5,
  ShuttingDown: 6,
  FsmError: 7,
} as const;

/** CDN Result Codes (RFC 2661 section 4.4.2). */
export const CdnResult = {
  LostCarrier: 1,
  GeneralError: 2,
  Administrative: 3,
  TemporaryNoFacilities: 4,
  PermanentNoFacilities: 5,
  InvalidDestination: 6,
  NoCarrier: 7,
  Busy: 8,
  NoDialTone: 9,
  Timeout: 10,
  NoFraming: 11,
} as const;

/** General Error Codes (RFC 2661 section 4.4.2). */
export const ErrorCode = {
  None: 0,
  NoControlConnection: 1,
  BadLength: 2,
  BadValue: 3,
  InsufficientResources: 4,
  InvalidSessionId: 5,
  VendorError: 6,
  TryAnother: 7,
  UnknownMandatoryAvp: 8,
} as const;

/** Framing Capabilities / Framing Type bits (section 4.4.3, 4.4.5). */
export const FRAMING_SYNC = 1;
export const FRAMING_ASYNC = 2;

/** The Receive Window Size a peer is assumed to have when it sends none (section 5.8). */
export const DEFAULT_RECEIVE_WINDOW = 4;

/** UDP port L2TP listens on (section 8.1). */
export const L2TP_PORT = 1701;

/**
 * Control messages (RFC 2661 section 6): a typed view of the AVPs each carries, the encoder (Message Type
 * first, section 4.4.1; hidden AVPs after a Random Vector, section 4.3) and a decoder that validates every
 * mandatory AVP the message needs and applies section 4.1 to unknown AVPs.
 */
import type { Rng } from '../util/clock.js';
import { type Avp, decodeAvps, encodeAvps } from './avp.js';
import {
  type Accm,
  AvpValueError,
  accm,
  bytes,
  bytesOf,
  type CallErrors,
  callErrors,
  empty,
  nonEmptyBytes,
  type ProtocolVersion,
  protocolVersion,
  proxyAuthenId,
  type Q931Cause,
  q931Cause,
  type ResultCodeValue,
  resultCode,
  text,
  u16,
  u32,
  type ValueCodec,
} from './avp-values.js';
import {
  AvpType,
  ErrorCode,
  isKnownAvp,
  isMessageType,
  isSessionMessage,
  MessageType,
  messageTypeName,
  StopCcnResult,
} from './constants.js';
import { L2tpDecodeError, L2tpProtocolError } from './errors.js';
import { hideAvpValue, unhideAvpValue } from './hidden.js';

export interface MessageFields {
  resultCode?: ResultCodeValue;
  protocolVersion?: ProtocolVersion;
  framingCapabilities?: number;
  bearerCapabilities?: number;
  tieBreaker?: Buffer;
  firmwareRevision?: number;
  hostName?: string;
  vendorName?: string;
  assignedTunnelId?: number;
  receiveWindowSize?: number;
  challenge?: Buffer;
  q931CauseCode?: Q931Cause;
  challengeResponse?: Buffer;
  assignedSessionId?: number;
  callSerialNumber?: number;
  minimumBps?: number;
  maximumBps?: number;
  bearerType?: number;
  framingType?: number;
  calledNumber?: string;
  callingNumber?: string;
  subAddress?: string;
  txConnectSpeed?: number;
  physicalChannelId?: number;
  initialReceivedLcpConfReq?: Buffer;
  lastSentLcpConfReq?: Buffer;
  lastReceivedLcpConfReq?: Buffer;
  proxyAuthenType?: number;
  proxyAuthenName?: string;
  proxyAuthenChallenge?: Buffer;
  proxyAuthenId?: number;
  proxyAuthenResponse?: Buffer;
  callErrors?: CallErrors;
  accm?: Accm;
  privateGroupId?: Buffer;
  rxConnectSpeed?: number;
  sequencingRequired?: true;
}

export interface ControlMessage extends MessageFields {
  /** A `MessageType` value; other numbers only appear on decode of an ignorable unknown message. */
  readonly type: number;
}

type FieldKey = keyof MessageFields;

interface FieldSpec {
  readonly key: FieldKey;
  readonly avp: number;
  /** The M bit this implementation sends (section 4.4: each AVP's definition gives it). */
  readonly mandatory: boolean;
  readonly codec: ValueCodec<unknown>;
}

function field<K extends FieldKey>(
  key: K,
  avp: number,
  mandatory: boolean,
  codec: ValueCodec<NonNullable<MessageFields[K]>>,
): FieldSpec {
  return { key, avp, mandatory, codec: codec as ValueCodec<unknown> };
}

/** Every modelled AVP, in the order the encoder writes them. */
const FIELDS: readonly FieldSpec[] = [
  field('resultCode', AvpType.ResultCode, true, resultCode),
  field('protocolVersion', AvpType.ProtocolVersion, true, protocolVersion),
  field('framingCapabilities', AvpType.FramingCapabilities, true, u32),
  field('bearerCapabilities', AvpType.BearerCapabilities, true, u32),
  field('tieBreaker', AvpType.TieBreaker, false, bytesOf(8)),
  field('firmwareRevision', AvpType.FirmwareRevision, false, u16),
  field('hostName', AvpType.HostName, true, text),
  field('vendorName', AvpType.VendorName, false, text),
  field('assignedTunnelId', AvpType.AssignedTunnelId, true, u16),
  field('receiveWindowSize', AvpType.ReceiveWindowSize, true, u16),
  field('challenge', AvpType.Challenge, true, nonEmptyBytes),
  field('challengeResponse', AvpType.ChallengeResponse, true, bytesOf(16)),
  field('q931CauseCode', AvpType.Q931CauseCode, true, q931Cause),
  field('assignedSessionId', AvpType.AssignedSessionId, true, u16),
  field('callSerialNumber', AvpType.CallSerialNumber, true, u32),
  field('minimumBps', AvpType.MinimumBps, true, u32),
  field('maximumBps', AvpType.MaximumBps, true, u32),
  field('bearerType', AvpType.BearerType, true, u32),
  field('framingType', AvpType.FramingType, true, u32),
  field('calledNumber', AvpType.CalledNumber, true, text),
  field('callingNumber', AvpType.CallingNumber, true, text),
  field('subAddress', AvpType.SubAddress, true, text),
  field('txConnectSpeed', AvpType.TxConnectSpeed, true, u32),
  field('rxConnectSpeed', AvpType.RxConnectSpeed, false, u32),
  field('physicalChannelId', AvpType.PhysicalChannelId, false, u32),
  field('privateGroupId', AvpType.PrivateGroupId, false, bytes),
  field('sequencingRequired', AvpType.SequencingRequired, true, empty),
  field('initialReceivedLcpConfReq', AvpType.InitialReceivedLcpConfReq, false, bytes),
  field('lastSentLcpConfReq', AvpType.LastSentLcpConfReq, false, bytes),
  field('lastReceivedLcpConfReq', AvpType.LastReceivedLcpConfReq, false, bytes),
  field('proxyAuthenType', AvpType.ProxyAuthenType, false, u16),
  field('proxyAuthenName', AvpType.ProxyAuthenName, false, text),
  field('proxyAuthenChallenge', AvpType.ProxyAuthenChallenge, false, bytes),
  field('proxyAuthenId', AvpType.ProxyAuthenId, false, proxyAuthenId),
  field('proxyAuthenResponse', AvpType.ProxyAuthenResponse, false, bytes),
  field('callErrors', AvpType.CallErrors, true, callErrors),
  field('accm', AvpType.Accm, true, accm),
];

const FIELD_BY_AVP = new Map<number, FieldSpec>(FIELDS.map((f) => [f.avp, f]));

/** Mandatory AVPs besides Message Type, per message (RFC 2661 sections 6.1 to 6.16). */
const REQUIRED: Readonly<Record<number, readonly FieldKey[]>> = {
  [MessageType.SCCRQ]: ['protocolVersion', 'hostName', 'framingCapabilities', 'assignedTunnelId'],
  [MessageType.SCCRP]: ['protocolVersion', 'framingCapabilities', 'hostName', 'assignedTunnelId'],
  [MessageType.SCCCN]: [],
  // Section 6.4 also lists Assigned Tunnel ID; a StopCCN without it still ends the tunnel it arrived on.
  [MessageType.StopCCN]: ['resultCode'],
  [MessageType.HELLO]: [],
  [MessageType.OCRQ]: [
    'assignedSessionId',
    'callSerialNumber',
    'minimumBps',
    'maximumBps',
    'bearerType',
    'framingType',
    'calledNumber',
  ],
  [MessageType.OCRP]: ['assignedSessionId'],
  [MessageType.OCCN]: ['txConnectSpeed', 'framingType'],
  [MessageType.ICRQ]: ['assignedSessionId', 'callSerialNumber'],
  [MessageType.ICRP]: ['assignedSessionId'],
  [MessageType.ICCN]: ['txConnectSpeed', 'framingType'],
  [MessageType.CDN]: ['resultCode', 'assignedSessionId'],
  [MessageType.WEN]: ['callErrors'],
  [MessageType.SLI]: ['accm'],
};

/** AVPs hidden when hiding is configured: the identifiers and numbers section 4.3 exists to protect. */
const HIDEABLE = new Set<number>([
  AvpType.AssignedTunnelId,
  AvpType.AssignedSessionId,
  AvpType.CallSerialNumber,
  AvpType.CalledNumber,
  AvpType.CallingNumber,
  AvpType.SubAddress,
  AvpType.ResultCode,
  AvpType.ProxyAuthenName,
  AvpType.ProxyAuthenChallenge,
  AvpType.ProxyAuthenResponse,
]);

export interface HideOptions {
  readonly secret: Uint8Array;
  readonly rng: Rng;
  /** Random Vector length; section 4.3 asks for at least 16 octets (the MD5 block). */
  readonly vectorLength?: number;
}

/** Encodes the AVPs of a control message (the body after the header). */
export function encodeMessage(msg: ControlMessage, hide?: HideOptions): Buffer {
  const avps: Avp[] = [
    { mandatory: true, hidden: false, vendorId: 0, type: AvpType.MessageType, value: u16.encode(msg.type) },
  ];
  let vector: Buffer | undefined;
  for (const f of FIELDS) {
    const v = msg[f.key];
    if (v === undefined) continue;
    const value = f.codec.encode(v);
    if (hide && HIDEABLE.has(f.avp)) {
      if (!vector) {
        vector = hide.rng(hide.vectorLength ?? 16);
        avps.push({ mandatory: true, hidden: false, vendorId: 0, type: AvpType.RandomVector, value: vector });
      }
      // Pad the subformat to a multiple of 16 so the original length stays hidden (section 4.3).
      const padLen = 16 - ((2 + value.length) % 16);
      const hidden = hideAvpValue(f.avp, value, hide.secret, vector, hide.rng(padLen));
      avps.push({ mandatory: f.mandatory, hidden: true, vendorId: 0, type: f.avp, value: hidden });
    } else {
      avps.push({ mandatory: f.mandatory, hidden: false, vendorId: 0, type: f.avp, value });
    }
  }
  return encodeAvps(avps);
}

export interface DecodedMessage {
  /** Whatever was decoded; complete when `error` is undefined. */
  readonly message: ControlMessage;
  /** The StopCCN/CDN the receiver owes the peer, when the message broke a rule. */
  readonly error?: L2tpProtocolError;
  /** An unknown message type without the M bit: acknowledge, then ignore (section 4.4.1). */
  readonly ignore?: boolean;
  /** Count of unknown optional AVPs skipped (section 4.1). */
  readonly skippedAvps: number;
}

/**
 * Decodes a control message body. Throws `L2tpDecodeError` only when the body cannot be parsed at all
 * (AVP framing, missing Message Type), which means drop. Protocol faults come back in `error` with the
 * fields decoded so far, so the caller can address its StopCCN or CDN.
 */
export function decodeMessage(body: Buffer, secret?: Uint8Array): DecodedMessage {
  const avps = decodeAvps(body);
  const first = avps[0];
  if (
    first?.vendorId !== 0 ||
    first.type !== AvpType.MessageType ||
    first.hidden ||
    first.value.length !== 2
  ) {
    throw new L2tpDecodeError('no-message-type', 'first AVP is not a Message Type (section 4.4.1)');
  }
  const type = first.value.readUInt16BE(0);
  const out: Record<string, unknown> & { type: number } = { type };
  const scope = isSessionMessage(type) ? 'session' : 'tunnel';
  let skipped = 0;
  const fail = (resultCode: number, errorCode: number, text: string): DecodedMessage => ({
    message: out,
    error: new L2tpProtocolError(scope, resultCode, errorCode, `${messageTypeName(type)}: ${text}`),
    skippedAvps: skipped,
  });

  if (!isMessageType(type)) {
    if (first.mandatory) {
      return {
        message: out,
        error: new L2tpProtocolError(
          'tunnel',
          StopCcnResult.GeneralError,
          ErrorCode.BadValue,
          `unknown message type ${type} with the M bit (section 4.4.1)`,
        ),
        skippedAvps: 0,
      };
    }
    return { message: out, ignore: true, skippedAvps: 0 };
  }
  // StopCCN and CDN share the value 2 for "general error, see Error Code".
  const general = StopCcnResult.GeneralError;
  let vector: Buffer | undefined;
  for (let i = 1; i < avps.length; i++) {
    const a = avps[i];
    if (a.vendorId === 0 && a.type === AvpType.RandomVector && !a.hidden) {
      if (a.value.length === 0) return fail(general, ErrorCode.BadLength, 'empty Random Vector');
      vector = a.value;
      continue;
    }
    const spec = a.reservedBitsSet || !isKnownAvp(a.vendorId, a.type) ? undefined : FIELD_BY_AVP.get(a.type);
    if (!spec) {
      if (a.mandatory) {
        return fail(
          general,
          ErrorCode.UnknownMandatoryAvp,
          `unknown AVP vendor ${a.vendorId} type ${a.type} with the M bit (section 4.1)`,
        );
      }
      skipped++;
      continue;
    }
    let value = a.value;
    if (a.hidden) {
      if (!secret) return fail(general, ErrorCode.BadValue, `hidden AVP ${a.type} but no shared secret`);
      if (!vector) return fail(general, ErrorCode.BadValue, `hidden AVP ${a.type} without a Random Vector`);
      try {
        value = unhideAvpValue(a.type, a.value, secret, vector);
      } catch (err) {
        return fail(general, ErrorCode.BadLength, (err as Error).message);
      }
    }
    try {
      out[spec.key] = spec.codec.decode(value);
    } catch (err) {
      if (err instanceof AvpValueError)
        return fail(general, ErrorCode.BadLength, `AVP ${a.type}: ${err.message}`);
      throw err;
    }
  }
  for (const key of REQUIRED[type] ?? []) {
    if (out[key] === undefined) return fail(general, ErrorCode.BadValue, `missing mandatory AVP ${key}`);
  }
  return { message: out, skippedAvps: skipped };
}

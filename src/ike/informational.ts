/**
 * Informational exchanges (RFC 2408 section 4.8, protected per RFC 2409 section 5.7): DELETE of the ISAKMP
 * SA or ESP SPIs, error and status NOTIFYs, and DPD R-U-THERE / R-U-THERE-ACK (RFC 3706 section 5). Once
 * phase 1 is up every informational is encrypted under its own message ID's IV and carries
 * HASH(1) = prf(SKEYID_a, M-ID | N/D); before that, error notifies go in the clear.
 */
import { quickModeHash1 } from '../crypto/ikev1-kdf.js';
import {
  DOI_IPSEC,
  ExchangeType,
  HeaderFlag,
  NotifyType,
  PayloadType,
  ProtocolId,
} from './codec/constants.js';
import { IkeNotifyError } from './codec/errors.js';
import type { IsakmpHeader } from './codec/header.js';
import { decodeMessage, encodeMessage } from './codec/message.js';
import type { DeletePayload, NotifyPayload } from './codec/notification.js';
import { encodePayloads, type Payload } from './codec/payloads.js';
import type { EngineContext } from './context.js';
import { sendTo } from './context.js';
import type { IkeSa } from './ike-sa.js';
import type { Endpoint } from './natt.js';
import { openPhase2, phase2StartIv } from './quick-mode.js';
import type { IkeSaTable } from './sa-table.js';

export function isakmpSpi(sa: IkeSa): Buffer {
  return Buffer.concat([sa.ckyI, sa.ckyR]);
}

export function notifyPayload(
  sa: IkeSa | undefined,
  notifyType: number,
  data: Buffer = Buffer.alloc(0),
): NotifyPayload {
  return {
    type: PayloadType.N,
    doi: DOI_IPSEC,
    protocolId: ProtocolId.ISAKMP,
    notifyType,
    spi: sa ? isakmpSpi(sa) : Buffer.alloc(0),
    data,
  };
}

export function deleteIkePayload(sa: IkeSa): DeletePayload {
  return {
    type: PayloadType.D,
    doi: DOI_IPSEC,
    protocolId: ProtocolId.ISAKMP,
    spiSize: 16,
    spis: [isakmpSpi(sa)],
  };
}

export function deleteEspPayload(spisIn: readonly number[]): DeletePayload {
  return {
    type: PayloadType.D,
    doi: DOI_IPSEC,
    protocolId: ProtocolId.ESP,
    spiSize: 4,
    spis: spisIn.map((s) => {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(s >>> 0);
      return b;
    }),
  };
}

/** An encrypted, hashed informational exchange under a fresh message ID (RFC 2409 section 5.7). */
export function sendInformational(ctx: EngineContext, sa: IkeSa, payloads: readonly Payload[]): void {
  if (!sa.keys || sa.state !== 'established') return;
  const mid = ctx.allocateMessageId(sa);
  const rest = encodePayloads(payloads);
  const h = quickModeHash1(sa.suite!.hash.name, sa.keys.a, mid, rest);
  const head = Buffer.alloc(4 + h.length);
  head[0] = payloads[0].type;
  head.writeUInt16BE(head.length, 2);
  h.copy(head, 4);
  const { data } = sa.sealBody(
    sa.head(ExchangeType.Informational, mid, 0),
    PayloadType.HASH,
    Buffer.concat([head, rest]),
    phase2StartIv(sa, mid),
  );
  sendTo(ctx, sa, data);
}

/**
 * An error notify in the clear, for a peer we share no keys with yet (RFC 2408 section 5: the notify
 * tells the initiator why; it is not authenticated, so peers only log it).
 */
export function sendClearNotify(
  ctx: EngineContext,
  to: Endpoint,
  from: Endpoint,
  ckyI: Buffer,
  ckyR: Buffer,
  notifyType: number,
): void {
  const n: NotifyPayload = {
    type: PayloadType.N,
    doi: DOI_IPSEC,
    protocolId: ProtocolId.ISAKMP,
    notifyType,
    spi: Buffer.concat([ckyI, ckyR]),
    data: Buffer.alloc(0),
  };
  const data = encodeMessage(
    {
      initiatorCookie: ckyI,
      responderCookie: ckyR,
      exchangeType: ExchangeType.Informational,
      flags: 0,
      messageId: 0,
    },
    [n],
  );
  ctx.out.push({ type: 'send', to, from, data, nonEspMarker: from.port === ctx.cfg.nattPort });
}

export interface InformationalContent {
  readonly notifies: readonly NotifyPayload[];
  readonly deletes: readonly DeletePayload[];
}

/** Decrypts and authenticates an informational; throws on a bad hash (the caller counts and drops). */
export function openInformational(sa: IkeSa, header: IsakmpHeader, raw: Buffer): InformationalContent {
  const { chain, plain, hash } = openPhase2(sa, header, raw, phase2StartIv(sa, header.messageId));
  const rest = chain.offsets.length > 1 ? plain.subarray(chain.offsets[1], chain.end) : Buffer.alloc(0);
  if (!quickModeHash1(sa.suite!.hash.name, sa.keys!.a, header.messageId, rest).equals(hash)) {
    throw new IkeNotifyError(NotifyType.InvalidHashInformation, 'informational HASH(1) does not verify');
  }
  return {
    notifies: chain.payloads.filter((p): p is NotifyPayload => p.type === PayloadType.N),
    deletes: chain.payloads.filter((p): p is DeletePayload => p.type === PayloadType.D),
  };
}

/** RFC 3706 section 5: the 32-bit sequence number of an R-U-THERE or its ACK. */
export function dpdSequence(n: NotifyPayload): number | undefined {
  return n.data.length === 4 ? n.data.readUInt32BE(0) : undefined;
}

export function dpdData(seq: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(seq >>> 0);
  return b;
}

/**
 * An informational exchange from the peer: unauthenticated notifies are only logged (and end an initiator's
 * Main Mode); authenticated ones carry DELETE, DPD and INITIAL-CONTACT.
 */
export function receiveInformational(
  ctx: EngineContext,
  table: IkeSaTable,
  header: IsakmpHeader,
  raw: Buffer,
  from: Endpoint,
): void {
  const sa =
    table.find(header.initiatorCookie, header.responderCookie) ??
    table.awaitingMm2.get(header.initiatorCookie.toString('hex'));
  if (!(header.flags & HeaderFlag.Encryption)) {
    const n = decodeMessage(raw).chain.payloads.find((p): p is NotifyPayload => p.type === PayloadType.N);
    ctx.counters.count('notify-received');
    ctx.log.info({ peer: from.address, notify: n?.notifyType }, 'unauthenticated notify');
    // Only an initiator still in Main Mode acts on one: the responder refusing our proposal or key.
    if (sa && sa.role === 'initiator' && sa.state !== 'established' && n && n.notifyType < 16384) {
      table.removeSa(ctx, sa, 'failed', n.notifyType);
    }
    return;
  }
  if (sa?.state !== 'established') {
    ctx.counters.count('unknown-sa');
    return;
  }
  let content: ReturnType<typeof openInformational>;
  try {
    content = openInformational(sa, header, raw);
  } catch {
    ctx.counters.count('bad-hash');
    return;
  }
  sa.lastHeard = ctx.now;
  for (const n of content.notifies) onNotify(ctx, table, sa, n);
  for (const d of content.deletes) {
    if (d.protocolId === ProtocolId.ESP && d.spiSize === 4) {
      const outs = new Set(d.spis.map((s) => s.readUInt32BE(0)));
      table.removeChildren(
        ctx,
        sa,
        sa.children.filter((c) => outs.has(c.params.spiOut)),
        'peer-delete',
      );
    } else if (d.protocolId === ProtocolId.ISAKMP && d.spis.some((s) => s.equals(isakmpSpi(sa)))) {
      table.adoptOrDeleteChildren(ctx, sa);
      table.removeSa(ctx, sa, 'peer-delete');
      return;
    }
  }
}

function onNotify(ctx: EngineContext, table: IkeSaTable, sa: IkeSa, n: NotifyPayload): void {
  ctx.counters.count('notify-received');
  if (n.notifyType === NotifyType.DpdRUThere) {
    const seq = dpdSequence(n);
    if (seq !== undefined)
      sendInformational(ctx, sa, [notifyPayload(sa, NotifyType.DpdRUThereAck, dpdData(seq))]);
  } else if (n.notifyType === NotifyType.DpdRUThereAck) {
    if (sa.dpdOutstanding && dpdSequence(n) === sa.dpdOutstanding.seq) {
      ctx.counters.count('dpd-ack');
      sa.dpdOutstanding = undefined;
    }
  } else if (n.notifyType === NotifyType.InitialContact) {
    sa.initialContact = true;
    table.initialContact(ctx, sa);
  } else {
    ctx.log.info({ ike: sa.id, notify: n.notifyType }, 'notify from peer');
    // An error notify (RFC 2408 s3.14.1: types below 8192) ends the Quick Modes we are waiting on.
    if (n.notifyType >= 8192) return;
    for (const ex of [...sa.exchanges.values()]) {
      if (ex.role !== 'initiator' || ex.state !== 'qm1') continue;
      sa.exchanges.delete(ex.messageId);
      table.releaseSpi(ex.spiIn);
      ctx.out.push({ type: 'child-sa-failed', ikeSaId: sa.id, notify: n.notifyType });
    }
  }
}

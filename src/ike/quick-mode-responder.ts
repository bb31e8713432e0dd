/**
 * Quick Mode, responder side (RFC 2409 section 5.5): QM1 → QM2 chooses the ESP proposal, checks and narrows
 * the L2TP IDs (RFC 3193 section 4), answers NAT-OA (RFC 3947 section 5.2) and PFS; QM3 installs the pair.
 * QM2 is repeated until QM3 arrives, since a lost QM3 is otherwise never recovered.
 */
import { generateDhKeyPair } from '../crypto/dh.js';
import { quickModeHash1, quickModeHash2, quickModeHash3 } from '../crypto/ikev1-kdf.js';
import { encodeAttributes, numberAttribute } from './codec/attributes.js';
import {
  DOI_IPSEC,
  ExchangeType,
  IdType,
  IpsecAttr,
  LifeType,
  NotifyType,
  PayloadType,
  ProtocolId,
  SIT_IDENTITY_ONLY,
} from './codec/constants.js';
import { IkeNotifyError } from './codec/errors.js';
import type { IsakmpHeader } from './codec/header.js';
import type { IdPayload } from './codec/identification.js';
import type { OpaquePayload } from './codec/opaque.js';
import type { Payload } from './codec/payloads.js';
import type { SaPayload } from './codec/sa.js';
import type { EngineContext } from './context.js';
import { sendTo } from './context.js';
import { chooseEsp } from './esp-policy.js';
import type { IkeSa, Phase2Exchange } from './ike-sa.js';
import { NONCE_BYTES } from './main-mode.js';

import {
  afterHash,
  buildChild,
  hashed,
  install,
  natOaPayloads,
  natOas,
  newExchange,
  openPhase2,
  pfsSecret,
  phase2StartIv,
  UDP,
} from './quick-mode.js';

/** RFC 3193 section 4 / issue 4: L2TP IDs are UDP (or any protocol) and the server side port 1701 or any. */
function checkIds(ctx: EngineContext, idci: IdPayload, idcr: IdPayload): IdPayload {
  const addrTypes: number[] = [IdType.Ipv4Addr, IdType.Ipv6Addr];
  const protoOk = (p: number) => p === 0 || p === UDP;
  if (
    !addrTypes.includes(idci.idType) ||
    !addrTypes.includes(idcr.idType) ||
    !protoOk(idci.protocolId) ||
    !protoOk(idcr.protocolId)
  ) {
    throw new IkeNotifyError(
      NotifyType.InvalidIdInformation,
      `QM IDs ${idci.idType}/${idci.protocolId} ${idcr.idType}/${idcr.protocolId}`,
    );
  }
  if (idcr.port !== 0 && idcr.port !== ctx.cfg.l2tpPort) {
    throw new IkeNotifyError(NotifyType.InvalidIdInformation, `server port ${idcr.port} in IDcr`);
  }
  // Narrow the server side to udp/1701 (issue 4).
  return { type: idcr.type, idType: idcr.idType, protocolId: UDP, port: ctx.cfg.l2tpPort, data: idcr.data };
}

export function respondQm1(ctx: EngineContext, sa: IkeSa, header: IsakmpHeader, raw: Buffer): Phase2Exchange {
  const mid = header.messageId;
  const iv = phase2StartIv(sa, mid);
  const { chain, plain, lastBlock, hash } = openPhase2(sa, header, raw, iv);
  const s = sa.suite!;
  const prf = s.hash.name;
  if (!quickModeHash1(prf, sa.keys!.a, mid, afterHash(plain, chain)).equals(hash)) {
    throw new IkeNotifyError(NotifyType.InvalidHashInformation, 'QM HASH(1) does not verify');
  }
  const p = chain.payloads;
  if (p[1]?.type !== PayloadType.SA)
    throw new IkeNotifyError(NotifyType.PayloadMalformed, 'QM1 without SA second');
  const nonce = p.find((x): x is OpaquePayload => x.type === PayloadType.NONCE);
  if (!nonce) throw new IkeNotifyError(NotifyType.PayloadMalformed, 'QM1 without nonce');
  const ke = p.find((x): x is OpaquePayload => x.type === PayloadType.KE);
  const ids = p.filter((x): x is IdPayload => x.type === PayloadType.ID);
  if (ids.length !== 0 && ids.length !== 2)
    throw new IkeNotifyError(NotifyType.InvalidIdInformation, `${ids.length} IDs in QM1`);
  const choice = chooseEsp(ctx.cfg.esp, p[1] as SaPayload, sa.encapsulate);
  if ((choice.pfsGroup !== undefined) !== (ke !== undefined)) {
    throw new IkeNotifyError(NotifyType.InvalidKeyInformation, 'PFS group and KE disagree');
  }
  const ex = newExchange(
    mid,
    'responder',
    lastBlock,
    nonce.data,
    ctx.allocateSpi(),
    ctx.now + ctx.cfg.exchangeLingerMs,
  );
  ex.choice = choice;
  ex.nr = ctx.cfg.rng(NONCE_BYTES);
  const oas = natOas(chain);
  ex.natOaI = oas[0] ?? (choice.udpEncapsulation ? sa.peer.address : undefined);
  ex.natOaR = oas[1];
  const rest: Payload[] = [
    {
      type: PayloadType.SA,
      doi: DOI_IPSEC,
      situation: SIT_IDENTITY_ONLY,
      proposals: [
        {
          number: choice.proposal.number,
          protocolId: ProtocolId.ESP,
          spi: ex.spiIn,
          transforms: [choice.transform],
        },
      ],
    },
    { type: PayloadType.NONCE, data: ex.nr },
  ];
  let gxy: Buffer | undefined;
  if (choice.pfsGroup && ke) {
    if (ke.data.length !== choice.pfsGroup.publicSize)
      throw new IkeNotifyError(NotifyType.InvalidKeyInformation, 'QM KE size');
    ex.dh = generateDhKeyPair(choice.pfsGroup.id, ctx.cfg.rng);
    gxy = pfsSecret(ex, ke.data);
    rest.push({ type: PayloadType.KE, data: ex.dh.publicValue });
  }
  if (ids.length === 2) {
    ex.idci = ids[0];
    ex.idcr = checkIds(ctx, ids[0], ids[1]);
    rest.push(ex.idci, ex.idcr);
  }
  if (choice.udpEncapsulation && choice.mode === 'transport' && sa.natT) {
    rest.push(...natOaPayloads(sa, sa.peer.address, sa.local.address, sa.local.address));
  }
  if (choice.capped) {
    // RFC 2407 section 4.6.3.1: the SA echoes the proposal; the shorter lifetime we enforce is announced.
    rest.push({
      type: PayloadType.N,
      doi: DOI_IPSEC,
      protocolId: ProtocolId.ESP,
      notifyType: NotifyType.ResponderLifetime,
      spi: ex.spiIn,
      data: encodeAttributes([
        { type: IpsecAttr.SaLifeType, value: LifeType.Seconds },
        numberAttribute(IpsecAttr.SaLifeDuration, choice.effectiveLifetimeSeconds),
      ]),
    });
  }
  const hash2 = hashed(sa, rest, (b) => quickModeHash2(prf, sa.keys!.a, mid, ex.ni, b));
  const { data, lastBlock: next } = sa.sealBody(
    sa.head(ExchangeType.QuickMode, mid, 0),
    PayloadType.HASH,
    hash2,
    ex.iv,
  );
  ex.iv = next;
  ex.state = 'qm2';
  ex.lastReceived = raw;
  ex.lastSent = data;
  // The responder repeats QM2 until QM3 arrives: a lost QM3 would otherwise leave it without the SA.
  ex.retransmitWait = ctx.cfg.retransmitInitialMs;
  ex.retransmitAt = ctx.now + ex.retransmitWait;
  ex.tries = 1;
  ex.pfsSecret = gxy;
  sendTo(ctx, sa, data);
  return ex;
}

export function respondQm3(
  ctx: EngineContext,
  sa: IkeSa,
  ex: Phase2Exchange,
  header: IsakmpHeader,
  raw: Buffer,
): void {
  const { chain, lastBlock, hash } = openPhase2(sa, header, raw, ex.iv);
  if (chain.payloads.length !== 1)
    throw new IkeNotifyError(NotifyType.PayloadMalformed, 'QM3 carries more than HASH(3)');
  if (!quickModeHash3(sa.suite!.hash.name, sa.keys!.a, ex.messageId, ex.ni, ex.nr!).equals(hash)) {
    throw new IkeNotifyError(NotifyType.InvalidHashInformation, 'QM HASH(3) does not verify');
  }
  ex.iv = lastBlock;
  ex.state = 'done';
  ex.lastReceived = raw;
  ex.lastSent = undefined;
  ex.retransmitAt = undefined;
  ex.expiresAt = ctx.now + ctx.cfg.exchangeLingerMs;
  install(ctx, sa, buildChild(ctx, sa, ex, ex.pfsSecret));
}

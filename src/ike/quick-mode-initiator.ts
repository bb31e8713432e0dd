/**
 * Quick Mode, initiator side (RFC 2409 section 5.5): QM1 proposes the configured ESP suites in UDP-
 * encapsulated transport mode when NAT-T is in use, with the L2TP IDs udp/1701 (RFC 3193 section 4).
 */
import { generateDhKeyPair } from '../crypto/dh.js';
import { quickModeHash1, quickModeHash2, quickModeHash3 } from '../crypto/ikev1-kdf.js';
import { decodeAttributes } from './codec/attributes.js';
import {
  DOI_IPSEC,
  EncapsulationMode,
  ExchangeType,
  IpsecAttr,
  NotifyType,
  PayloadType,
  ProtocolId,
  SIT_IDENTITY_ONLY,
} from './codec/constants.js';
import { IkeNotifyError } from './codec/errors.js';
import type { IsakmpHeader } from './codec/header.js';
import { addressToIdData, type IdPayload } from './codec/identification.js';
import type { OpaquePayload } from './codec/opaque.js';
import type { Payload } from './codec/payloads.js';
import type { Proposal } from './codec/sa.js';
import type { EngineContext } from './context.js';
import { sendTo } from './context.js';
import { describeMode, espAttributes, espChoice, readEspTransform } from './esp-policy.js';
import type { IkeSa, Phase2Exchange } from './ike-sa.js';
import { NONCE_BYTES } from './main-mode.js';
import { readLifetimes } from './policy.js';

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

export function initiateQm1(ctx: EngineContext, sa: IkeSa): Phase2Exchange {
  const mid = ctx.allocateMessageId(sa);
  const ex = newExchange(
    mid,
    'initiator',
    phase2StartIv(sa, mid),
    ctx.cfg.rng(NONCE_BYTES),
    ctx.allocateSpi(),
    ctx.now + ctx.cfg.halfOpenTimeoutMs,
  );
  const udp = sa.encapsulate;
  const mode = udp
    ? sa.natT === 'draft'
      ? EncapsulationMode.UdpTransportDraft
      : EncapsulationMode.UdpTransport
    : EncapsulationMode.Transport;
  const pfs = ctx.cfg.initiatorPfsGroup;
  const proposal: Proposal = {
    number: 1,
    protocolId: ProtocolId.ESP,
    spi: ex.spiIn,
    transforms: ctx.cfg.initiatorEsp.map((suite, i) => ({
      number: i + 1,
      id: suite.cipher === 'aes-gcm-16' ? 20 : suite.cipher === 'aes-cbc' ? 12 : 3,
      attributes: espAttributes({
        suite,
        encapsulationMode: mode,
        pfsGroup: pfs,
        lifetimeSeconds: ctx.cfg.initiatorEspLifetimeSeconds,
      }),
    })),
  };
  const rest: Payload[] = [
    { type: PayloadType.SA, doi: DOI_IPSEC, situation: SIT_IDENTITY_ONLY, proposals: [proposal] },
    { type: PayloadType.NONCE, data: ex.ni },
  ];
  if (pfs !== undefined) {
    ex.dh = generateDhKeyPair(pfs, ctx.cfg.rng);
    rest.push({ type: PayloadType.KE, data: ex.dh.publicValue });
  }
  const mine = addressToIdData(sa.local.address);
  const theirs = addressToIdData(sa.peer.address);
  ex.idci = {
    type: PayloadType.ID,
    idType: mine.idType,
    protocolId: UDP,
    port: ctx.cfg.l2tpPort,
    data: mine.data,
  };
  ex.idcr = {
    type: PayloadType.ID,
    idType: theirs.idType,
    protocolId: UDP,
    port: ctx.cfg.l2tpPort,
    data: theirs.data,
  };
  rest.push(ex.idci, ex.idcr);
  if (udp && sa.natT) rest.push(...natOaPayloads(sa, sa.local.address, sa.peer.address, sa.local.address));
  ex.offered = proposal;
  const body = hashed(sa, rest, (b) => quickModeHash1(sa.suite!.hash.name, sa.keys!.a, mid, b));
  const { data, lastBlock } = sa.sealBody(
    sa.head(ExchangeType.QuickMode, mid, 0),
    PayloadType.HASH,
    body,
    ex.iv,
  );
  ex.iv = lastBlock;
  ex.lastSent = data;
  ex.retransmitWait = ctx.cfg.retransmitInitialMs;
  ex.retransmitAt = ctx.now + ex.retransmitWait;
  ex.tries = 1;
  sa.exchanges.set(mid, ex);
  sendTo(ctx, sa, data);
  return ex;
}

export function initiatorQm2(
  ctx: EngineContext,
  sa: IkeSa,
  ex: Phase2Exchange,
  header: IsakmpHeader,
  raw: Buffer,
): void {
  const { chain, plain, lastBlock, hash } = openPhase2(sa, header, raw, ex.iv);
  const prf = sa.suite!.hash.name;
  if (!quickModeHash2(prf, sa.keys!.a, ex.messageId, ex.ni, afterHash(plain, chain)).equals(hash)) {
    throw new IkeNotifyError(NotifyType.InvalidHashInformation, 'QM HASH(2) does not verify');
  }
  const p = chain.payloads;
  const reply = p[1]?.type === PayloadType.SA ? p[1] : undefined;
  const prop = reply?.proposals.length === 1 ? reply.proposals[0] : undefined;
  const t = prop?.transforms.length === 1 ? prop.transforms[0] : undefined;
  const parsed = t ? readEspTransform(t) : undefined;
  const mode = parsed ? describeMode(parsed.encapsulationMode) : undefined;
  if (
    !prop ||
    !t ||
    !parsed ||
    !mode ||
    prop.spi.length !== 4 ||
    !ex.offered!.transforms.some((o) => o.number === t.number && o.id === t.id)
  ) {
    throw new IkeNotifyError(NotifyType.BadProposalSyntax, 'QM2 SA is not one of our transforms');
  }
  const nonce = p.find((x): x is OpaquePayload => x.type === PayloadType.NONCE);
  if (!nonce) throw new IkeNotifyError(NotifyType.PayloadMalformed, 'QM2 without nonce');
  const ke = p.find((x): x is OpaquePayload => x.type === PayloadType.KE);
  let gxy: Buffer | undefined;
  if (ex.dh) {
    if (!ke) throw new IkeNotifyError(NotifyType.InvalidKeyInformation, 'QM2 without KE under PFS');
    gxy = pfsSecret(ex, ke.data);
  }
  const ids = p.filter((x): x is IdPayload => x.type === PayloadType.ID);
  if (ids.length === 2) {
    ex.idci = ids[0];
    ex.idcr = ids[1];
  }
  const oas = natOas(chain);
  ex.natOaI = sa.encapsulate ? sa.local.address : undefined;
  ex.natOaR = oas[1] ?? oas[0];
  // RFC 2407 section 4.6.3.1: the responder may announce a shorter lifetime than the one it echoes.
  let lifetime = parsed.lifetimeSeconds ?? ctx.cfg.initiatorEspLifetimeSeconds;
  for (const n of p) {
    if (n.type !== PayloadType.N || n.notifyType !== NotifyType.ResponderLifetime) continue;
    const life = readLifetimes(decodeAttributes(n.data), IpsecAttr.SaLifeType, IpsecAttr.SaLifeDuration);
    if (life?.seconds !== undefined) lifetime = Math.min(lifetime, life.seconds);
  }
  ex.choice = espChoice(parsed, {
    proposal: prop,
    transform: t,
    peerSpi: prop.spi,
    mode: mode.mode,
    udpEncapsulation: mode.udp,
    effectiveLifetimeSeconds: lifetime,
    capped: false,
  });
  ex.nr = nonce.data;
  ex.iv = lastBlock;
  const h3 = quickModeHash3(prf, sa.keys!.a, ex.messageId, ex.ni, ex.nr);
  const { data, lastBlock: next } = sa.seal(
    sa.head(ExchangeType.QuickMode, ex.messageId, 0),
    [{ type: PayloadType.HASH, data: h3 }],
    ex.iv,
  );
  ex.iv = next;
  ex.state = 'done';
  ex.lastReceived = raw;
  ex.lastSent = data;
  ex.retransmitAt = undefined;
  ex.expiresAt = ctx.now + ctx.cfg.exchangeLingerMs;
  sendTo(ctx, sa, data);
  const params = buildChild(ctx, sa, ex, gxy);
  ex.installed = params;
  install(ctx, sa, params);
}

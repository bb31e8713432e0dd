/**
 * Quick Mode (RFC 2409 section 5.5), both roles, for L2TP/IPsec transport-mode SAs (RFC 3193):
 *
 *   QM1 I→R  HDR*, HASH(1), SA, Ni [, KE] [, IDci, IDcr] [, NAT-OAi, NAT-OAr]
 *   QM2 R→I  HDR*, HASH(2), SA, Nr [, KE] [, IDci, IDcr] [, NAT-OAi, NAT-OAr]
 *   QM3 I→R  HDR*, HASH(3)
 *
 * Each exchange has its own IV chain seeded from the last phase-1 block and its message ID (RFC 2409
 * Appendix B). KEYMAT is computed per direction with the receiving side's SPI (section 5.5); the key
 * bytes split as cipher key, then salt (GCM, RFC 4106 section 8.1), then integrity key.
 */
import { generateDhKeyPair } from '../crypto/dh.js';
import { CryptoError } from '../crypto/errors.js';
import { keymat, phase2Iv, quickModeHash1, quickModeHash2, quickModeHash3 } from '../crypto/ikev1-kdf.js';
import type { ChildSaParams, EspKeys, TrafficSelector } from './actions.js';
import {
  DOI_IPSEC,
  EncapsulationMode,
  ExchangeType,
  IdType,
  NotifyType,
  PayloadType,
  ProtocolId,
  SIT_IDENTITY_ONLY,
} from './codec/constants.js';
import { IkeNotifyError } from './codec/errors.js';
import type { IsakmpHeader } from './codec/header.js';
import {
  addressToIdData,
  type IdPayload,
  idDataToAddress,
  type NatOaPayload,
} from './codec/identification.js';
import type { OpaquePayload } from './codec/opaque.js';
import { encodePayloads, type Payload, type PayloadChain } from './codec/payloads.js';
import type { Proposal, SaPayload } from './codec/sa.js';
import type { EngineContext } from './context.js';
import { sendTo } from './context.js';
import { chooseEsp, describeMode, type EspChoice, espAttributes, readEspTransform } from './esp-policy.js';
import type { IkeSa, Phase2Exchange } from './ike-sa.js';
import { NONCE_BYTES } from './main-mode.js';

const UDP = 17;

/** HASH payload followed by `rest`; the hash is computed over `rest`'s exact bytes (RFC 2409 s5.5). */
export function hashed(rest: readonly Payload[], mac: (restBytes: Buffer) => Buffer): Buffer {
  const restBytes = encodePayloads(rest);
  const h = mac(restBytes);
  const head = Buffer.alloc(4 + h.length);
  head[0] = rest.length > 0 ? rest[0].type : PayloadType.None;
  head.writeUInt16BE(head.length, 2);
  h.copy(head, 4);
  return Buffer.concat([head, restBytes]);
}

function afterHash(plain: Buffer, chain: PayloadChain): Buffer {
  return chain.offsets.length > 1 ? plain.subarray(chain.offsets[1], chain.end) : Buffer.alloc(0);
}

export function openPhase2(
  sa: IkeSa,
  header: IsakmpHeader,
  raw: Buffer,
  iv: Buffer,
): { chain: PayloadChain; plain: Buffer; lastBlock: Buffer; hash: Buffer } {
  const r = sa.open(header, raw, iv);
  const first = r.chain.payloads[0];
  if (!first || first.type !== PayloadType.HASH) {
    throw new IkeNotifyError(NotifyType.InvalidHashInformation, 'phase-2 message without leading HASH');
  }
  return { ...r, hash: first.data };
}

export function phase2StartIv(sa: IkeSa, messageId: number): Buffer {
  const s = sa.suite!;
  return phase2Iv(s.hash.name, sa.iv, messageId, s.cipher.blockSize);
}

function newExchange(
  messageId: number,
  role: 'initiator' | 'responder',
  iv: Buffer,
  ni: Buffer,
  spiIn: Buffer,
  expiresAt: number,
): Phase2Exchange {
  return {
    messageId,
    kind: 'quick',
    role,
    state: 'qm1',
    iv,
    ni,
    nr: undefined,
    dh: undefined,
    spiIn,
    choice: undefined,
    idci: undefined,
    idcr: undefined,
    natOaI: undefined,
    natOaR: undefined,
    lastSent: undefined,
    lastReceived: undefined,
    retransmitAt: undefined,
    retransmitWait: 0,
    tries: 0,
    expiresAt,
    installed: undefined,
  };
}

function pfsSecret(ex: Phase2Exchange, peerKe: Buffer): Buffer {
  try {
    return ex.dh!.computeSecret(peerKe);
  } catch (err) {
    if (err instanceof CryptoError) throw new IkeNotifyError(NotifyType.InvalidKeyInformation, err.message);
    throw err;
  }
}

function selector(id: IdPayload | undefined): TrafficSelector | undefined {
  if (!id) return undefined;
  return { address: idDataToAddress(id.idType, id.data) ?? '', protocol: id.protocolId, port: id.port };
}

function natOas(chain: PayloadChain): string[] {
  return chain.payloads
    .filter((p): p is NatOaPayload => p.type === PayloadType.NatOA || p.type === PayloadType.NatOADraft)
    .map((p) => idDataToAddress(p.idType, p.address) ?? '');
}

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
  return { ...idcr, protocolId: UDP, port: ctx.cfg.l2tpPort };
}

function splitKeys(choice: EspChoice, km: Buffer): EspKeys {
  const enc = choice.keyBits / 8;
  const salt = choice.cipher.saltSize;
  return {
    encryption: km.subarray(0, enc),
    salt: km.subarray(enc, enc + salt),
    integrity: km.subarray(enc + salt, enc + salt + (choice.integrity?.keySize ?? 0)),
  };
}

function buildChild(
  ctx: EngineContext,
  sa: IkeSa,
  ex: Phase2Exchange,
  gxy: Buffer | undefined,
): ChildSaParams {
  const c = ex.choice!;
  const prf = sa.suite!.hash.name;
  const bytes = c.keyBits / 8 + c.cipher.saltSize + (c.integrity?.keySize ?? 0);
  const ni = ex.ni;
  const nr = ex.nr!;
  const kIn = keymat(prf, sa.keys!.d, ProtocolId.ESP, ex.spiIn, ni, nr, bytes, gxy);
  const kOut = keymat(prf, sa.keys!.d, ProtocolId.ESP, c.peerSpi, ni, nr, bytes, gxy);
  const truncated = ctx.cfg.esp.sha256Truncated96 && c.integrity?.name === 'hmac-sha256-128';
  const initiator = ex.role === 'initiator';
  return {
    ikeSaId: sa.id,
    spiIn: ex.spiIn.readUInt32BE(0),
    spiOut: c.peerSpi.readUInt32BE(0),
    espTransformId: c.cipher.espId,
    cipher: c.cipher.name,
    encryptionKeyBits: c.keyBits,
    authAlgorithmId: c.integrity?.espAuthId,
    integrity: c.integrity?.name,
    icvBytes: truncated ? 12 : (c.integrity?.icvSize ?? c.cipher.icvSize),
    inbound: splitKeys(c, kIn),
    outbound: splitKeys(c, kOut),
    mode: c.mode,
    udpEncapsulation: c.udpEncapsulation,
    local: sa.local,
    peer: sa.peer,
    natOaInitiator: ex.natOaI,
    natOaResponder: ex.natOaR,
    localSelector: selector(initiator ? ex.idci : ex.idcr),
    remoteSelector: selector(initiator ? ex.idcr : ex.idci),
    lifetimeSeconds: c.effectiveLifetimeSeconds,
    lifetimeKilobytes: c.lifetimeKilobytes,
    role: ex.role,
  };
}

function install(ctx: EngineContext, sa: IkeSa, params: ChildSaParams): void {
  sa.children.push({
    params,
    createdAt: ctx.now,
    expiresAt: ctx.now + params.lifetimeSeconds * 1000,
    lastTraffic: ctx.now,
  });
  ctx.counters.count('child-sa-installed');
  ctx.out.push({ type: 'install-sa', sa: params });
  ctx.log.info(
    {
      ike: sa.id,
      spiIn: params.spiIn.toString(16),
      spiOut: params.spiOut.toString(16),
      cipher: params.cipher,
      integrity: params.integrity,
      udp: params.udpEncapsulation,
    },
    'child SA installed',
  );
}

function natOaPayloads(sa: IkeSa, initiatorAddr: string, responderAddr: string, own: string): NatOaPayload[] {
  const mk = (addr: string, type: NatOaPayload['type']): NatOaPayload => {
    const { idType, data } = addressToIdData(addr);
    return { type, idType, address: data };
  };
  // RFC 3947 section 5.2 sends NAT-OAi and NAT-OAr; the drafts one NAT-OA with the sender's own address.
  if (sa.natT === 'draft') return [mk(own, PayloadType.NatOADraft)];
  return [mk(initiatorAddr, PayloadType.NatOA), mk(responderAddr, PayloadType.NatOA)];
}

// ---------------------------------------------------------------------------------------------- responder

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
  const hash2 = hashed(rest, (b) => quickModeHash2(prf, sa.keys!.a, mid, ex.ni, b));
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

// ---------------------------------------------------------------------------------------------- initiator

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
  const body = hashed(rest, (b) => quickModeHash1(sa.suite!.hash.name, sa.keys!.a, mid, b));
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
  const lifetime = parsed.lifetimeSeconds ?? ctx.cfg.initiatorEspLifetimeSeconds;
  ex.choice = {
    ...parsed,
    proposal: prop,
    transform: t,
    peerSpi: prop.spi,
    mode: mode.mode,
    udpEncapsulation: mode.udp,
    effectiveLifetimeSeconds: lifetime,
    capped: false,
  };
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

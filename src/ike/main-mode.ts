/**
 * Main Mode with pre-shared keys (RFC 2409 section 5 and 5.4), both roles, with NAT-T (RFC 3947):
 *
 *   MM1 I→R  HDR, SA, VID…            MM2 R→I  HDR, SA, VID…
 *   MM3 I→R  HDR, KE, Ni, NAT-D…      MM4 R→I  HDR, KE, Nr, NAT-D…
 *   MM5 I→R  HDR*, IDii, HASH_I [N]   MM6 R→I  HDR*, IDir, HASH_R
 *
 * The responder keeps nothing but the half-open SA for MM1 and computes Diffie-Hellman only on MM3.
 * Authentication by signatures (RFC 2409 section 5.1) will plug in where `authenticate*` compute HASH_I/R.
 */
import { generateDhKeyPair } from '../crypto/dh.js';
import { CryptoError } from '../crypto/errors.js';
import {
  deriveSkeyids,
  hashI,
  hashR,
  phase1EncryptionKey,
  phase1Iv,
  skeyidPsk,
} from '../crypto/ikev1-kdf.js';
import { encodeAttributes, numberAttribute } from './codec/attributes.js';
import {
  DOI_IPSEC,
  ExchangeType,
  IkeAttr,
  KEY_IKE,
  LifeType,
  NotifyType,
  PayloadType,
  ProtocolId,
  SIT_IDENTITY_ONLY,
} from './codec/constants.js';
import { IkeNotifyError } from './codec/errors.js';
import type { IsakmpHeader } from './codec/header.js';
import { addressToIdData, type IdPayload, idDataToAddress } from './codec/identification.js';
import { encodeMessage } from './codec/message.js';
import type { OpaquePayload } from './codec/opaque.js';
import { encodePayloadBody, type Payload, type PayloadChain } from './codec/payloads.js';
import { encodeSaBody, type SaPayload } from './codec/sa.js';
import { type EngineContext, sendReliably } from './context.js';
import { IkeSa, payloadBody } from './ike-sa.js';
import { detectNat, type Endpoint, natDHash } from './natt.js';
import { choosePhase1, phase1Attributes, readPhase1Transform } from './policy.js';
import { clientFamily, recogniseVendorIds, VendorId } from './vendor-ids.js';

export const NONCE_BYTES = 32;

function opaque(type: OpaquePayload['type'], data: Buffer): OpaquePayload {
  return { type, data };
}

function vids(chain: PayloadChain): Buffer[] {
  return chain.payloads.filter((p): p is OpaquePayload => p.type === PayloadType.VID).map((p) => p.data);
}

function only<T extends Payload['type']>(chain: PayloadChain, type: T): number {
  const i = chain.payloads.findIndex((p) => p.type === type);
  if (i < 0 || chain.payloads.findIndex((p, j) => j > i && p.type === type) >= 0) {
    throw new IkeNotifyError(NotifyType.PayloadMalformed, `expected exactly one payload of type ${type}`);
  }
  return i;
}

function natDs(chain: PayloadChain): Buffer[] {
  return chain.payloads
    .filter((p): p is OpaquePayload => p.type === PayloadType.NatD || p.type === PayloadType.NatDDraft)
    .map((p) => p.data);
}

/** Our vendor IDs: NAT-T in the peer's dialect, and DPD (RFC 3706 section 7). */
function ourVids(sa: IkeSa, peerVids: readonly Buffer[] | undefined): OpaquePayload[] {
  const out: OpaquePayload[] = [];
  if (peerVids === undefined) {
    out.push(opaque(PayloadType.VID, VendorId.natTRfc3947), opaque(PayloadType.VID, VendorId.natTDraft02n));
  } else if (sa.natT === 'rfc3947') {
    out.push(opaque(PayloadType.VID, VendorId.natTRfc3947));
  } else if (sa.natT === 'draft') {
    const echo = [VendorId.natTDraft03, VendorId.natTDraft02n, VendorId.natTDraft02].find((v) =>
      peerVids.some((p) => p.equals(v)),
    );
    if (echo) out.push(opaque(PayloadType.VID, echo));
  }
  out.push(opaque(PayloadType.VID, VendorId.dpd));
  return out;
}

function natDType(sa: IkeSa): OpaquePayload['type'] {
  return sa.natT === 'draft' ? PayloadType.NatDDraft : PayloadType.NatD;
}

function keyExchange(ctx: EngineContext, sa: IkeSa, peerKe: Buffer, psk: Buffer): void {
  const s = sa.suite!;
  try {
    sa.gxy = sa.dh!.computeSecret(peerKe);
  } catch (err) {
    if (err instanceof CryptoError) throw new IkeNotifyError(NotifyType.InvalidKeyInformation, err.message);
    throw err;
  }
  const prf = s.hash.name;
  const skeyid = skeyidPsk(prf, psk, sa.ni!, sa.nr!);
  const { d, a, e } = deriveSkeyids(prf, skeyid, sa.gxy, sa.ckyI, sa.ckyR);
  sa.keys = { skeyid, d, a, e, encKey: phase1EncryptionKey(prf, e, s.keyBits / 8) };
  sa.iv = phase1Iv(prf, sa.gxi!, sa.gxr!, s.cipher.blockSize);
  ctx.log.debug({ ike: sa.id }, 'phase-1 keys derived');
}

function lookupPsk(ctx: EngineContext, sa: IkeSa): Buffer {
  const psk = ctx.cfg.psk(sa.peer, sa.peerId);
  if (!psk) {
    ctx.counters.count('no-psk');
    throw new IkeNotifyError(NotifyType.AuthenticationFailed, `no pre-shared key for ${sa.peer.address}`);
  }
  return psk;
}

function ownId(sa: IkeSa, peerId: IdPayload | undefined): IdPayload {
  const { idType, data } = addressToIdData(sa.local.address);
  // RFC 2407 section 4.6.2: phase-1 IDs carry protocol/port 0/0 or UDP/500; answer in the peer's form.
  const zero = peerId !== undefined && peerId.protocolId === 0;
  return { type: PayloadType.ID, idType, protocolId: zero ? 0 : 17, port: zero ? 0 : 500, data };
}

// ---------------------------------------------------------------------------------------------- responder

/** MM1 → MM2. Returns the new half-open SA (the engine indexes it). */
export function respondMm1(
  ctx: EngineContext,
  header: IsakmpHeader,
  raw: Buffer,
  chain: PayloadChain,
  body: Buffer,
  from: Endpoint,
  local: Endpoint,
): IkeSa {
  const saIdx = only(chain, PayloadType.SA);
  if (saIdx !== 0) throw new IkeNotifyError(NotifyType.PayloadMalformed, 'MM1 must start with SA');
  const proposal = chain.payloads[saIdx] as SaPayload;
  const choice = choosePhase1(ctx.cfg.phase1, proposal);
  const sa = new IkeSa(
    'responder',
    header.initiatorCookie,
    from,
    local,
    ctx.now,
    ctx.now + ctx.cfg.halfOpenTimeoutMs,
  );
  sa.ckyR = ctx.cfg.rng(8);
  sa.saiB = Buffer.from(payloadBody(body, chain, saIdx));
  const peerVids = vids(chain);
  sa.vendor = recogniseVendorIds(peerVids);
  sa.natT = sa.vendor.natT;
  sa.suite = {
    cipher: choice.cipher,
    keyBits: choice.keyBits,
    hash: choice.hash,
    group: choice.group,
    lifetimeSeconds: choice.effectiveLifetimeSeconds,
  };
  sa.capped = choice.capped;
  lookupPsk(ctx, sa);
  const reply: Payload[] = [
    {
      type: PayloadType.SA,
      doi: DOI_IPSEC,
      situation: SIT_IDENTITY_ONLY,
      proposals: [{ ...choice.proposal, transforms: [choice.transform] }],
    },
    ...ourVids(sa, peerVids),
  ];
  const log = ctx.log.child({ ike: sa.id, peer: `${from.address}:${from.port}` });
  log.info(
    {
      client: clientFamily(sa.vendor),
      suite: sa.suiteName(),
      natT: sa.natT,
      lifetime: choice.effectiveLifetimeSeconds,
    },
    'MM1: proposal chosen',
  );
  if (choice.legacyGroup) log.warn({ group: choice.group.id }, 'legacy Diffie-Hellman group accepted');
  sa.firstReceived = raw;
  sa.lastReceived = raw;
  sendReliably(ctx, sa, encodeMessage(sa.head(ExchangeType.IdentityProtection, 0, 0), reply), false);
  return sa;
}

/** MM3 → MM4: the Diffie-Hellman exchange and NAT detection. */
export function respondMm3(ctx: EngineContext, sa: IkeSa, raw: Buffer, chain: PayloadChain): void {
  const ke = chain.payloads[only(chain, PayloadType.KE)] as OpaquePayload;
  const ni = chain.payloads[only(chain, PayloadType.NONCE)] as OpaquePayload;
  const s = sa.suite!;
  if (ke.data.length !== s.group.publicSize) {
    throw new IkeNotifyError(
      NotifyType.InvalidKeyInformation,
      `KE of ${ke.data.length} bytes for group ${s.group.id}`,
    );
  }
  sa.dh = generateDhKeyPair(s.group.id, ctx.cfg.rng);
  sa.gxi = ke.data;
  sa.gxr = sa.dh.publicValue;
  sa.ni = ni.data;
  sa.nr = ctx.cfg.rng(NONCE_BYTES);
  keyExchange(ctx, sa, ke.data, lookupPsk(ctx, sa));
  const reply: Payload[] = [opaque(PayloadType.KE, sa.gxr), opaque(PayloadType.NONCE, sa.nr)];
  const theirNatD = natDs(chain);
  if (sa.natT && theirNatD.length >= 2) {
    const h = s.hash.name;
    const det = detectNat(h, sa.ckyI, sa.ckyR, theirNatD, sa.local, sa.peer);
    sa.encapsulate = ctx.cfg.forceEncapsulation || det.localBehindNat || det.peerBehindNat;
    // Forced encapsulation (issue 4): a hash for the client that cannot match its own address.
    const forPeer = ctx.cfg.forceEncapsulation
      ? ctx.cfg.rng(s.hash.size)
      : natDHash(h, sa.ckyI, sa.ckyR, sa.peer);
    // Windows gets its own hash of our address back, so it never sees the server behind NAT (error 809).
    const forUs = sa.vendor?.windows ? theirNatD[0] : natDHash(h, sa.ckyI, sa.ckyR, sa.local);
    reply.push(opaque(natDType(sa), forPeer), opaque(natDType(sa), forUs));
    ctx.log.debug({ ike: sa.id, ...det, encapsulate: sa.encapsulate }, 'NAT detection');
  } else {
    sa.natT = undefined;
  }
  sa.state = 'mm4';
  sa.lastReceived = raw;
  sendReliably(ctx, sa, encodeMessage(sa.head(ExchangeType.IdentityProtection, 0, 0), reply), false);
}

/** MM5 → MM6: authenticate the initiator (HASH_I) and prove ourselves (HASH_R). */
export function respondMm5(
  ctx: EngineContext,
  sa: IkeSa,
  header: IsakmpHeader,
  raw: Buffer,
  from: Endpoint,
  local: Endpoint,
): void {
  const { chain, plain, lastBlock } = sa.open(header, raw, sa.iv);
  const idIdx = only(chain, PayloadType.ID);
  const hashIdx = only(chain, PayloadType.HASH);
  const s = sa.suite!;
  const expect = hashI(
    s.hash.name,
    sa.keys!.skeyid,
    sa.gxi!,
    sa.gxr!,
    sa.ckyI,
    sa.ckyR,
    sa.saiB,
    payloadBody(plain, chain, idIdx),
  );
  if (!expect.equals((chain.payloads[hashIdx] as OpaquePayload).data)) {
    throw new IkeNotifyError(
      NotifyType.AuthenticationFailed,
      'HASH_I does not verify (wrong pre-shared key?)',
    );
  }
  sa.iv = lastBlock;
  sa.peerId = chain.payloads[idIdx] as IdPayload;
  sa.initialContact =
    sa.vendor?.initialContact === true ||
    chain.payloads.some((p) => p.type === PayloadType.N && p.notifyType === NotifyType.InitialContact);
  // RFC 3947 section 4: after the float, the new ports are the SA's ports.
  sa.peer = from;
  sa.local = local;
  const idr = ownId(sa, sa.peerId);
  const idrB = encodePayloadBody(idr);
  const hr = hashR(s.hash.name, sa.keys!.skeyid, sa.gxr!, sa.gxi!, sa.ckyR, sa.ckyI, sa.saiB, idrB);
  const reply: Payload[] = [idr, opaque(PayloadType.HASH, hr)];
  if (sa.capped) {
    // RFC 2407 section 4.6.3.1: announce the lifetime we will enforce.
    reply.push({
      type: PayloadType.N,
      doi: DOI_IPSEC,
      protocolId: ProtocolId.ISAKMP,
      notifyType: NotifyType.ResponderLifetime,
      spi: Buffer.concat([sa.ckyI, sa.ckyR]),
      data: encodeAttributes([
        { type: IkeAttr.LifeType, value: LifeType.Seconds },
        numberAttribute(IkeAttr.LifeDuration, s.lifetimeSeconds),
      ]),
    });
  }
  const { data, lastBlock: iv } = sa.seal(sa.head(ExchangeType.IdentityProtection, 0, 0), reply, sa.iv);
  sa.iv = iv;
  sa.lastReceived = raw;
  establish(ctx, sa);
  sendReliably(ctx, sa, data, false);
}

function establish(ctx: EngineContext, sa: IkeSa): void {
  sa.state = 'established';
  sa.establishedAt = ctx.now;
  sa.lastHeard = ctx.now;
  sa.expiresAt = ctx.now + sa.suite!.lifetimeSeconds * 1000;
  sa.dpdEnabled = sa.vendor?.dpd === true;
  ctx.counters.count('ike-sa-established');
  const peerIdentity = sa.peerId
    ? (idDataToAddress(sa.peerId.idType, sa.peerId.data) ?? sa.peerId.data.toString())
    : undefined;
  ctx.out.push({
    type: 'ike-sa-up',
    ikeSaId: sa.id,
    role: sa.role,
    peer: sa.peer,
    local: sa.local,
    clientFamily: clientFamily(sa.vendor!),
    suite: sa.suiteName(),
    natT: sa.encapsulate,
    peerIdentity,
  });
  ctx.log.info({ ike: sa.id, suite: sa.suiteName(), natT: sa.encapsulate }, 'IKE SA established');
}

// ---------------------------------------------------------------------------------------------- initiator

/** Starts Main Mode: MM1 with our suites and vendor IDs. */
export function initiateMm1(ctx: EngineContext, peer: Endpoint, local: Endpoint): IkeSa {
  const sa = new IkeSa(
    'initiator',
    ctx.cfg.rng(8),
    peer,
    local,
    ctx.now,
    ctx.now + ctx.cfg.initiatorTimeoutMs,
  );
  const proposal: SaPayload = {
    type: PayloadType.SA,
    doi: DOI_IPSEC,
    situation: SIT_IDENTITY_ONLY,
    proposals: [
      {
        number: 1,
        protocolId: ProtocolId.ISAKMP,
        spi: Buffer.alloc(0),
        transforms: ctx.cfg.initiatorSuites.map((s, i) => ({
          number: i + 1,
          id: KEY_IKE,
          attributes: phase1Attributes({ ...s, lifetimeSeconds: ctx.cfg.initiatorLifetimeSeconds }),
        })),
      },
    ],
  };
  sa.saiB = encodeSaBody(proposal);
  sa.offered = proposal;
  sa.state = 'mm1';
  sendReliably(
    ctx,
    sa,
    encodeMessage(sa.head(ExchangeType.IdentityProtection, 0, 0), [proposal, ...ourVids(sa, undefined)]),
    true,
  );
  return sa;
}

/** MM2 → MM3. */
export function initiatorMm2(ctx: EngineContext, sa: IkeSa, header: IsakmpHeader, chain: PayloadChain): void {
  const reply = chain.payloads[only(chain, PayloadType.SA)] as SaPayload;
  const t =
    reply.proposals.length === 1 && reply.proposals[0].transforms.length === 1
      ? reply.proposals[0].transforms[0]
      : undefined;
  const parsed = t ? readPhase1Transform(t) : undefined;
  const offered = (sa.offered as SaPayload).proposals[0].transforms;
  if (!t || !parsed || !offered.some((o) => o.number === t.number && o.id === t.id)) {
    throw new IkeNotifyError(NotifyType.BadProposalSyntax, 'MM2 SA is not one of our transforms');
  }
  sa.ckyR = header.responderCookie;
  sa.suite = {
    cipher: parsed.cipher,
    keyBits: parsed.keyBits,
    hash: parsed.hash,
    group: parsed.group,
    lifetimeSeconds: parsed.lifetimeSeconds ?? ctx.cfg.initiatorLifetimeSeconds,
  };
  sa.vendor = recogniseVendorIds(vids(chain));
  sa.natT = sa.vendor.natT;
  sa.dh = generateDhKeyPair(sa.suite.group.id, ctx.cfg.rng);
  sa.gxi = sa.dh.publicValue;
  sa.ni = ctx.cfg.rng(NONCE_BYTES);
  const out: Payload[] = [opaque(PayloadType.KE, sa.gxi), opaque(PayloadType.NONCE, sa.ni)];
  if (sa.natT) {
    const h = sa.suite.hash.name;
    out.push(
      opaque(natDType(sa), natDHash(h, sa.ckyI, sa.ckyR, sa.peer)),
      opaque(natDType(sa), natDHash(h, sa.ckyI, sa.ckyR, sa.local)),
    );
  }
  sa.state = 'mm3';
  sendReliably(ctx, sa, encodeMessage(sa.head(ExchangeType.IdentityProtection, 0, 0), out), true);
}

/** MM4 → MM5 (floating to port 4500 when NAT-T was agreed, RFC 3947 section 4). */
export function initiatorMm4(ctx: EngineContext, sa: IkeSa, chain: PayloadChain): void {
  const ke = chain.payloads[only(chain, PayloadType.KE)] as OpaquePayload;
  const nr = chain.payloads[only(chain, PayloadType.NONCE)] as OpaquePayload;
  const s = sa.suite!;
  if (ke.data.length !== s.group.publicSize)
    throw new IkeNotifyError(NotifyType.InvalidKeyInformation, 'KE size');
  sa.gxr = ke.data;
  sa.nr = nr.data;
  keyExchange(ctx, sa, ke.data, lookupPsk(ctx, sa));
  const theirNatD = natDs(chain);
  if (sa.natT && theirNatD.length >= 2) {
    const det = detectNat(s.hash.name, sa.ckyI, sa.ckyR, theirNatD, sa.local, sa.peer);
    sa.encapsulate = det.localBehindNat || det.peerBehindNat;
    sa.local = { address: sa.local.address, port: ctx.cfg.nattPort };
    sa.peer = { address: sa.peer.address, port: ctx.cfg.nattPort };
  } else {
    sa.natT = undefined;
  }
  const { idType, data } = addressToIdData(sa.local.address);
  const idi: IdPayload = { type: PayloadType.ID, idType, protocolId: 17, port: 500, data };
  const hi = hashI(
    s.hash.name,
    sa.keys!.skeyid,
    sa.gxi!,
    sa.gxr!,
    sa.ckyI,
    sa.ckyR,
    sa.saiB,
    encodePayloadBody(idi),
  );
  const out: Payload[] = [idi, opaque(PayloadType.HASH, hi)];
  if (ctx.cfg.initialContact) {
    out.push({
      type: PayloadType.N,
      doi: DOI_IPSEC,
      protocolId: ProtocolId.ISAKMP,
      notifyType: NotifyType.InitialContact,
      spi: Buffer.concat([sa.ckyI, sa.ckyR]),
      data: Buffer.alloc(0),
    });
  }
  const { data: msg, lastBlock } = sa.seal(sa.head(ExchangeType.IdentityProtection, 0, 0), out, sa.iv);
  sa.iv = lastBlock;
  sa.state = 'mm5';
  sendReliably(ctx, sa, msg, true);
}

/** MM6: verify HASH_R; the IKE SA is up. */
export function initiatorMm6(ctx: EngineContext, sa: IkeSa, header: IsakmpHeader, raw: Buffer): void {
  const { chain, plain, lastBlock } = sa.open(header, raw, sa.iv);
  const idIdx = only(chain, PayloadType.ID);
  const hashIdx = only(chain, PayloadType.HASH);
  const s = sa.suite!;
  const expect = hashR(
    s.hash.name,
    sa.keys!.skeyid,
    sa.gxr!,
    sa.gxi!,
    sa.ckyR,
    sa.ckyI,
    sa.saiB,
    payloadBody(plain, chain, idIdx),
  );
  if (!expect.equals((chain.payloads[hashIdx] as OpaquePayload).data)) {
    throw new IkeNotifyError(NotifyType.AuthenticationFailed, 'HASH_R does not verify');
  }
  sa.iv = lastBlock;
  sa.peerId = chain.payloads[idIdx] as IdPayload;
  sa.lastReceived = raw;
  sa.retransmitAt = undefined;
  sa.lastSent = undefined;
  establish(ctx, sa);
}

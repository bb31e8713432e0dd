/**
 * Main Mode, initiator side (RFC 2409 section 5, PSK per section 5.4), floating to UDP 4500 after MM4 when
 * NAT-T was agreed and a NAT was detected (RFC 3947 section 4).
 */
import { generateDhKeyPair } from '../crypto/dh.js';
import { hashI, hashR } from '../crypto/ikev1-kdf.js';
import {
  certPayloads,
  certRequestPayloads,
  requireCredentials,
  setAuthMethod,
  sigPayload,
  usesSignatures,
  verifyPeerSignature,
} from './auth/signature-auth.js';
import { decodeAttributes } from './codec/attributes.js';
import {
  AuthMethod,
  DOI_IPSEC,
  ExchangeType,
  IdType,
  IkeAttr,
  KEY_IKE,
  NotifyType,
  PayloadType,
  ProtocolId,
  SIT_IDENTITY_ONLY,
} from './codec/constants.js';
import { IkeNotifyError } from './codec/errors.js';
import type { IsakmpHeader } from './codec/header.js';
import { addressToIdData, type IdPayload } from './codec/identification.js';
import { encodeMessage } from './codec/message.js';
import type { OpaquePayload } from './codec/opaque.js';
import { encodePayloadBody, type Payload, type PayloadChain } from './codec/payloads.js';
import { encodeSaBody, type SaPayload } from './codec/sa.js';
import { type EngineContext, sendReliably } from './context.js';
import { IkeSa, payloadBody } from './ike-sa.js';
import {
  establish,
  keyExchange,
  NONCE_BYTES,
  natDs,
  natDType,
  only,
  opaque,
  ourVids,
  skeyidPskFor,
  vids,
} from './main-mode.js';
import { detectNat, type Endpoint, natDHash } from './natt.js';
import { phase1Attributes, readLifetimes, readPhase1Transform } from './policy.js';
import { recogniseVendorIds } from './vendor-ids.js';

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
          attributes: phase1Attributes({
            // Fields named, not spread: an object spread here measured about 1% of a whole handshake.
            cipher: s.cipher,
            hash: s.hash,
            group: s.group,
            lifetimeSeconds: ctx.cfg.initiatorLifetimeSeconds,
            // With a certificate configured we authenticate with it (RFC 2409 section 5.1).
            authMethod: ctx.cfg.certificates ? AuthMethod.RsaSignature : AuthMethod.PreSharedKey,
          }),
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
  setAuthMethod(sa, parsed.authMethod);
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
  // RFC 2409 section 5.1: MM3 may carry CR, naming the CAs whose certificates we accept.
  if (usesSignatures(sa)) out.push(...certRequestPayloads(requireCredentials(ctx.cfg.certificates)));
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
  keyExchange(ctx, sa, ke.data, skeyidPskFor(ctx, sa));
  const theirNatD = natDs(chain);
  if (sa.natT && theirNatD.length >= 2) {
    const det = detectNat(s.hash.name, sa.ckyI, sa.ckyR, theirNatD, sa.local, sa.peer);
    sa.encapsulate = det.localBehindNat || det.peerBehindNat;
    // RFC 3947 section 4: the ports change when a NAT sits between the hosts. Without one, IKE stays on
    // 500 as charon's IKEv1 initiator does, and the ESP SAs are the raw (not UDP-encapsulated) modes, so
    // the endpoint reported in ike-sa-up agrees with natT.
    if (sa.encapsulate) {
      sa.local = { address: sa.local.address, port: ctx.cfg.nattPort };
      sa.peer = { address: sa.peer.address, port: ctx.cfg.nattPort };
    }
  } else {
    sa.natT = undefined;
  }
  const creds = usesSignatures(sa) ? requireCredentials(ctx.cfg.certificates) : undefined;
  const { idType, data } = creds
    ? { idType: IdType.DerAsn1Dn, data: creds.subjectDn }
    : addressToIdData(sa.local.address);
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
  const out: Payload[] = creds
    ? [idi, ...certPayloads(creds), sigPayload(creds, hi)]
    : [idi, opaque(PayloadType.HASH, hi)];
  // RFC 2407 section 4.6.3.3: only on first contact; in a phase-1 rekey it would delete the SAs we keep.
  if (ctx.cfg.initialContact && sa.rekeyOf === undefined) {
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
  // RFC 2409 section 5.1: with signatures, SIG_R is HASH_R signed by the responder's certificate key.
  if (usesSignatures(sa)) {
    const creds = requireCredentials(ctx.cfg.certificates);
    verifyPeerSignature(sa, creds, chain, chain.payloads[idIdx] as IdPayload, expect);
  } else if (!expect.equals((chain.payloads[only(chain, PayloadType.HASH)] as OpaquePayload).data)) {
    throw new IkeNotifyError(NotifyType.AuthenticationFailed, 'HASH_R does not verify');
  }
  sa.iv = lastBlock;
  // RFC 2407 section 4.6.3.1: a responder enforcing a shorter lifetime says so here; our rekey must beat it.
  for (const n of chain.payloads) {
    if (n.type !== PayloadType.N || n.notifyType !== NotifyType.ResponderLifetime) continue;
    const life = readLifetimes(decodeAttributes(n.data), IkeAttr.LifeType, IkeAttr.LifeDuration);
    if (life?.seconds !== undefined && life.seconds < s.lifetimeSeconds)
      sa.suite = { ...s, lifetimeSeconds: life.seconds };
  }
  sa.peerId = chain.payloads[idIdx] as IdPayload;
  sa.lastReceived = raw;
  sa.retransmitAt = undefined;
  sa.lastSent = undefined;
  establish(ctx, sa);
}

/**
 * Main Mode, responder side (RFC 2409 section 5, PSK per section 5.4; NAT-T per RFC 3947): MM1 → MM2 keeps
 * only the half-open SA, MM3 → MM4 does Diffie-Hellman and NAT detection (forced encapsulation), MM5 → MM6
 * authenticates the initiator.
 */
import { generateDhKeyPair } from '../crypto/dh.js';
import { hashI, hashR } from '../crypto/ikev1-kdf.js';
import {
  certPayloads,
  certRequestPayloads,
  ownCertId,
  requireCredentials,
  setAuthMethod,
  sigPayload,
  usesSignatures,
  verifyPeerSignature,
} from './auth/signature-auth.js';
import { encodeAttributes, numberAttribute } from './codec/attributes.js';
import {
  DOI_IPSEC,
  ExchangeType,
  IkeAttr,
  LifeType,
  NotifyType,
  PayloadType,
  ProtocolId,
  SIT_IDENTITY_ONLY,
} from './codec/constants.js';
import { IkeNotifyError } from './codec/errors.js';
import type { IsakmpHeader } from './codec/header.js';
import type { IdPayload } from './codec/identification.js';
import { encodeMessage } from './codec/message.js';
import type { OpaquePayload } from './codec/opaque.js';
import { encodePayloadBody, type Payload, type PayloadChain } from './codec/payloads.js';
import type { SaPayload } from './codec/sa.js';
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
  ownId,
  skeyidPskFor,
  vids,
} from './main-mode.js';
import { type Endpoint, natDetection, natDHash } from './natt.js';
import { choosePhase1 } from './policy.js';
import { clientFamily, recogniseVendorIds } from './vendor-ids.js';

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
  setAuthMethod(sa, choice.authMethod);
  skeyidPskFor(ctx, sa);
  const reply: Payload[] = [
    {
      type: PayloadType.SA,
      doi: DOI_IPSEC,
      situation: SIT_IDENTITY_ONLY,
      proposals: [
        {
          number: choice.proposal.number,
          protocolId: choice.proposal.protocolId,
          spi: choice.proposal.spi,
          transforms: [choice.transform],
        },
      ],
    },
    ...ourVids(sa, peerVids),
  ];
  // A child logger and its fields cost more than the rest of MM1's bookkeeping: only when they are written.
  if (ctx.log.isLevelEnabled('info')) {
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
  } else if (choice.legacyGroup && ctx.log.isLevelEnabled('warn')) {
    ctx.log.warn(
      { ike: sa.id, peer: `${from.address}:${from.port}`, group: choice.group.id },
      'legacy Diffie-Hellman group accepted',
    );
  }
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
  keyExchange(ctx, sa, ke.data, skeyidPskFor(ctx, sa));
  const reply: Payload[] = [opaque(PayloadType.KE, sa.gxr), opaque(PayloadType.NONCE, sa.nr)];
  const theirNatD = natDs(chain);
  if (sa.natT && theirNatD.length >= 2) {
    const h = s.hash.name;
    const mine = natDHash(h, sa.ckyI, sa.ckyR, sa.local);
    const theirs = natDHash(h, sa.ckyI, sa.ckyR, sa.peer);
    const det = natDetection(theirNatD, mine, theirs);
    sa.encapsulate = ctx.cfg.forceEncapsulation || det.localBehindNat || det.peerBehindNat;
    // Forced encapsulation (issue 4): a hash for the client that cannot match its own address.
    const forPeer = ctx.cfg.forceEncapsulation ? ctx.cfg.rng(s.hash.size) : theirs;
    // Windows gets its own hash of our address back, so it never sees the server behind NAT (error 809).
    const forUs = sa.vendor?.windows ? theirNatD[0] : mine;
    reply.push(opaque(natDType(sa), forPeer), opaque(natDType(sa), forUs));
    if (ctx.log.isLevelEnabled('debug'))
      ctx.log.debug({ ike: sa.id, ...det, encapsulate: sa.encapsulate }, 'NAT detection');
  } else {
    sa.natT = undefined;
  }
  // RFC 2409 section 5.1: MM4 may carry CR; it names our CAs so the initiator sends its certificate.
  if (usesSignatures(sa)) reply.push(...certRequestPayloads(requireCredentials(ctx.cfg.certificates)));
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
  const sig = usesSignatures(sa);
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
  // RFC 2409 section 5.1: with signatures, SIG_I is HASH_I signed by the certificate's key.
  if (sig) {
    const peer = verifyPeerSignature(
      sa,
      requireCredentials(ctx.cfg.certificates),
      chain,
      chain.payloads[idIdx] as IdPayload,
      expect,
    );
    if (ctx.log.isLevelEnabled('info'))
      ctx.log.info({ ike: sa.id, subject: peer.subject }, 'MM5: certificate verified');
  } else if (!expect.equals((chain.payloads[only(chain, PayloadType.HASH)] as OpaquePayload).data)) {
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
  const creds = sig ? requireCredentials(ctx.cfg.certificates) : undefined;
  const idr = creds ? ownCertId(creds, sa.peerId) : ownId(sa, sa.peerId);
  const idrB = encodePayloadBody(idr);
  const hr = hashR(s.hash.name, sa.keys!.skeyid, sa.gxr!, sa.gxi!, sa.ckyR, sa.ckyI, sa.saiB, idrB);
  const reply: Payload[] = creds
    ? [idr, ...certPayloads(creds), sigPayload(creds, hr)]
    : [idr, opaque(PayloadType.HASH, hr)];
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

/**
 * Aggressive Mode with pre-shared keys, responder only and only when configured (RFC 2409 section 5,
 * section 5.4): off by default because message 2 carries HASH_R over a PSK-derived SKEYID, which anyone who
 * sends message 1 can attack offline (issue 4; Android racoon uses it when an IPsec identifier is set).
 *
 *   AM1 I→R  HDR, SA, KE, Ni, IDii [, VID…]
 *   AM2 R→I  HDR, SA, KE, Nr, IDir, HASH_R [, VID…] [, NAT-D, NAT-D]
 *   AM3 I→R  HDR[*], HASH_I [, NAT-D, NAT-D] [, N(INITIAL-CONTACT)]
 *
 * NAT-D travels in messages 2 and 3 (RFC 3947 section 3.2); the initiator may float to 4500 with message 3.
 * AM3 is encrypted by most implementations and in the clear by some; both are accepted.
 */
import { generateDhKeyPair } from '../crypto/dh.js';
import { hashI, hashR } from '../crypto/ikev1-kdf.js';
import {
  AuthMethod,
  DOI_IPSEC,
  ExchangeType,
  HeaderFlag,
  NotifyType,
  PayloadType,
  SIT_IDENTITY_ONLY,
} from './codec/constants.js';
import { IkeNotifyError } from './codec/errors.js';
import type { IsakmpHeader } from './codec/header.js';
import type { IdPayload } from './codec/identification.js';
import { decodeMessage, encodeMessage } from './codec/message.js';
import type { OpaquePayload } from './codec/opaque.js';
import { encodePayloadBody, type Payload, type PayloadChain } from './codec/payloads.js';
import type { SaPayload } from './codec/sa.js';
import { type EngineContext, sendReliably } from './context.js';
import { IkeSa, payloadBody } from './ike-sa.js';
import {
  establish,
  keyExchange,
  lookupPsk,
  NONCE_BYTES,
  natDs,
  natDType,
  only,
  opaque,
  ourVids,
  ownId,
  vids,
} from './main-mode.js';
import { detectNat, type Endpoint, natDHash } from './natt.js';
import { choosePhase1 } from './policy.js';
import { clientFamily, recogniseVendorIds } from './vendor-ids.js';

/** AM1 → AM2. Returns the new half-open SA (the engine indexes it). */
export function respondAm1(
  ctx: EngineContext,
  header: IsakmpHeader,
  raw: Buffer,
  chain: PayloadChain,
  body: Buffer,
  from: Endpoint,
  local: Endpoint,
): IkeSa {
  const saIdx = only(chain, PayloadType.SA);
  if (saIdx !== 0) throw new IkeNotifyError(NotifyType.PayloadMalformed, 'AM1 must start with SA');
  // Aggressive Mode is served with a pre-shared key only (its opt-in exists for Android's PSK + IPsec
  // identifier case); a certificate proposal gets NO-PROPOSAL-CHOSEN rather than a PSK-hashed answer.
  const pskOnly = { ...ctx.cfg.phase1, authMethods: [AuthMethod.PreSharedKey] };
  const choice = choosePhase1(pskOnly, chain.payloads[saIdx] as SaPayload);
  const ke = chain.payloads[only(chain, PayloadType.KE)] as OpaquePayload;
  const ni = chain.payloads[only(chain, PayloadType.NONCE)] as OpaquePayload;
  const idIdx = only(chain, PayloadType.ID);
  if (ke.data.length !== choice.group.publicSize) {
    throw new IkeNotifyError(NotifyType.InvalidKeyInformation, `KE of ${ke.data.length} bytes`);
  }
  const sa = new IkeSa(
    'responder',
    header.initiatorCookie,
    from,
    local,
    ctx.now,
    ctx.now + ctx.cfg.halfOpenTimeoutMs,
  );
  sa.ckyR = ctx.cfg.rng(8);
  sa.exchangeType = ExchangeType.Aggressive;
  sa.saiB = Buffer.from(payloadBody(body, chain, saIdx));
  sa.idiiB = Buffer.from(payloadBody(body, chain, idIdx));
  sa.peerId = chain.payloads[idIdx] as IdPayload;
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
  sa.dh = generateDhKeyPair(choice.group.id, ctx.cfg.rng);
  sa.gxi = ke.data;
  sa.gxr = sa.dh.publicValue;
  sa.ni = ni.data;
  sa.nr = ctx.cfg.rng(NONCE_BYTES);
  keyExchange(ctx, sa, ke.data, lookupPsk(ctx, sa));
  const idr = ownId(sa, sa.peerId);
  const h = choice.hash.name;
  const hr = hashR(h, sa.keys!.skeyid, sa.gxr, sa.gxi, sa.ckyR, sa.ckyI, sa.saiB, encodePayloadBody(idr));
  const reply: Payload[] = [
    {
      type: PayloadType.SA,
      doi: DOI_IPSEC,
      situation: SIT_IDENTITY_ONLY,
      proposals: [{ ...choice.proposal, transforms: [choice.transform] }],
    },
    opaque(PayloadType.KE, sa.gxr),
    opaque(PayloadType.NONCE, sa.nr),
    idr,
    opaque(PayloadType.HASH, hr),
    ...ourVids(sa, peerVids),
  ];
  if (sa.natT) {
    sa.encapsulate = ctx.cfg.forceEncapsulation;
    const forPeer = ctx.cfg.forceEncapsulation
      ? ctx.cfg.rng(choice.hash.size)
      : natDHash(h, sa.ckyI, sa.ckyR, from);
    reply.push(opaque(natDType(sa), forPeer), opaque(natDType(sa), natDHash(h, sa.ckyI, sa.ckyR, local)));
  }
  ctx.log.warn(
    { ike: sa.id, peer: from.address, client: clientFamily(sa.vendor), suite: sa.suiteName() },
    'Aggressive Mode (enabled by configuration): the PSK hash is exposed to offline attack',
  );
  sa.state = 'am2';
  sa.firstReceived = raw;
  sa.lastReceived = raw;
  sendReliably(ctx, sa, encodeMessage(sa.head(ExchangeType.Aggressive, 0, 0), reply), false);
  return sa;
}

/** AM3: verify HASH_I; the IKE SA is up (nothing is sent back). */
export function respondAm3(
  ctx: EngineContext,
  sa: IkeSa,
  header: IsakmpHeader,
  raw: Buffer,
  from: Endpoint,
  local: Endpoint,
): void {
  let chain: PayloadChain;
  let nextIv = sa.iv;
  if (header.flags & HeaderFlag.Encryption) {
    const opened = sa.open(header, raw, sa.iv);
    chain = opened.chain;
    nextIv = opened.lastBlock;
  } else {
    chain = decodeMessage(raw).chain;
  }
  const hash = chain.payloads[only(chain, PayloadType.HASH)] as OpaquePayload;
  const s = sa.suite!;
  const expect = hashI(s.hash.name, sa.keys!.skeyid, sa.gxi!, sa.gxr!, sa.ckyI, sa.ckyR, sa.saiB, sa.idiiB!);
  if (!expect.equals(hash.data)) {
    throw new IkeNotifyError(
      NotifyType.AuthenticationFailed,
      'HASH_I does not verify (wrong pre-shared key?)',
    );
  }
  sa.iv = nextIv;
  const theirNatD = natDs(chain);
  if (sa.natT && theirNatD.length >= 2) {
    const det = detectNat(s.hash.name, sa.ckyI, sa.ckyR, theirNatD, local, from);
    sa.encapsulate = sa.encapsulate || det.localBehindNat || det.peerBehindNat;
  }
  sa.initialContact = chain.payloads.some(
    (p) => p.type === PayloadType.N && p.notifyType === NotifyType.InitialContact,
  );
  sa.peer = from;
  sa.local = local;
  sa.lastReceived = raw;
  sa.lastSent = undefined;
  establish(ctx, sa);
}

import { CryptoError } from '../crypto/errors.js';
import { deriveSkeyids, phase1EncryptionKey, phase1Iv, skeyidPsk } from '../crypto/ikev1-kdf.js';
import { NotifyType, PayloadType } from './codec/constants.js';
import { IkeNotifyError } from './codec/errors.js';
import { addressToIdData, type IdPayload, idDataToAddress } from './codec/identification.js';
import type { OpaquePayload } from './codec/opaque.js';
import type { Payload, PayloadChain } from './codec/payloads.js';
import type { EngineContext } from './context.js';
import type { IkeSa } from './ike-sa.js';
import { clientFamily, VendorId } from './vendor-ids.js';

export const NONCE_BYTES = 32;

export function opaque(type: OpaquePayload['type'], data: Buffer): OpaquePayload {
  return { type, data };
}

export function vids(chain: PayloadChain): Buffer[] {
  return chain.payloads.filter((p): p is OpaquePayload => p.type === PayloadType.VID).map((p) => p.data);
}

export function only<T extends Payload['type']>(chain: PayloadChain, type: T): number {
  const i = chain.payloads.findIndex((p) => p.type === type);
  if (i < 0 || chain.payloads.findIndex((p, j) => j > i && p.type === type) >= 0) {
    throw new IkeNotifyError(NotifyType.PayloadMalformed, `expected exactly one payload of type ${type}`);
  }
  return i;
}

export function natDs(chain: PayloadChain): Buffer[] {
  return chain.payloads
    .filter((p): p is OpaquePayload => p.type === PayloadType.NatD || p.type === PayloadType.NatDDraft)
    .map((p) => p.data);
}

/** Our vendor IDs: NAT-T in the peer's dialect, and DPD (RFC 3706 section 7). */
export function ourVids(sa: IkeSa, peerVids: readonly Buffer[] | undefined): OpaquePayload[] {
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

export function natDType(sa: IkeSa): OpaquePayload['type'] {
  return sa.natT === 'draft' ? PayloadType.NatDDraft : PayloadType.NatD;
}

export function keyExchange(ctx: EngineContext, sa: IkeSa, peerKe: Buffer, psk: Buffer): void {
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

export function lookupPsk(ctx: EngineContext, sa: IkeSa): Buffer {
  const psk = ctx.cfg.psk(sa.peer, sa.peerId);
  if (!psk) {
    ctx.counters.count('no-psk');
    throw new IkeNotifyError(NotifyType.AuthenticationFailed, `no pre-shared key for ${sa.peer.address}`);
  }
  return psk;
}

export function ownId(sa: IkeSa, peerId: IdPayload | undefined): IdPayload {
  const { idType, data } = addressToIdData(sa.local.address);
  // RFC 2407 section 4.6.2: phase-1 IDs carry protocol/port 0/0 or UDP/500; answer in the peer's form.
  const zero = peerId !== undefined && peerId.protocolId === 0;
  return { type: PayloadType.ID, idType, protocolId: zero ? 0 : 17, port: zero ? 0 : 500, data };
}

export function establish(ctx: EngineContext, sa: IkeSa): void {
  sa.state = 'established';
  sa.establishedAt = ctx.now;
  sa.lastHeard = ctx.now;
  sa.expiresAt = ctx.now + sa.suite!.lifetimeSeconds * 1000;
  sa.dpdEnabled = sa.vendor?.dpd === true;
  if (sa.role === 'initiator' && sa.encapsulate) sa.keepaliveAt = ctx.now + ctx.cfg.natKeepaliveMs;
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

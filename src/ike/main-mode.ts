import { CryptoError } from '../crypto/errors.js';
import { deriveSkeyids, phase1EncryptionKey, phase1Iv, skeyidPsk, skeyidSig } from '../crypto/ikev1-kdf.js';
import { peerCertificateSubject, usesSignatures } from './auth/signature-auth.js';
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

// Plain loops below: these run on every Main Mode message, where filter/map chains cost more than the work.

export function vids(chain: PayloadChain): Buffer[] {
  const out: Buffer[] = [];
  for (const p of chain.payloads) if (p.type === PayloadType.VID) out.push(p.data);
  return out;
}

export function only<T extends Payload['type']>(chain: PayloadChain, type: T): number {
  let found = -1;
  const ps = chain.payloads;
  for (let j = 0; j < ps.length; j++) {
    if (ps[j].type !== type) continue;
    if (found >= 0) found = -2;
    else if (found === -1) found = j;
  }
  if (found < 0) {
    throw new IkeNotifyError(NotifyType.PayloadMalformed, `expected exactly one payload of type ${type}`);
  }
  return found;
}

export function natDs(chain: PayloadChain): Buffer[] {
  const out: Buffer[] = [];
  for (const p of chain.payloads)
    if (p.type === PayloadType.NatD || p.type === PayloadType.NatDDraft) out.push(p.data);
  return out;
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

/** `psk` undefined: signature authentication, SKEYID = prf(Ni_b | Nr_b, g^xy) (RFC 2409 section 5). */
export function keyExchange(ctx: EngineContext, sa: IkeSa, peerKe: Buffer, psk: Buffer | undefined): void {
  const s = sa.suite!;
  try {
    sa.gxy = sa.dh!.computeSecret(peerKe);
  } catch (err) {
    if (err instanceof CryptoError) throw new IkeNotifyError(NotifyType.InvalidKeyInformation, err.message);
    throw err;
  }
  const prf = s.hash.name;
  const skeyid = psk ? skeyidPsk(prf, psk, sa.ni!, sa.nr!) : skeyidSig(prf, sa.ni!, sa.nr!, sa.gxy);
  const { d, a, e } = deriveSkeyids(prf, skeyid, sa.gxy, sa.ckyI, sa.ckyR);
  sa.keys = { skeyid, d, a, e, encKey: phase1EncryptionKey(prf, e, s.keyBits / 8) };
  sa.iv = phase1Iv(prf, sa.gxi!, sa.gxr!, s.cipher.blockSize);
  // Log arguments are built only when the level is on: this runs once per handshake on a busy server.
  if (ctx.log.isLevelEnabled('debug')) ctx.log.debug({ ike: sa.id }, 'phase-1 keys derived');
}

export function lookupPsk(ctx: EngineContext, sa: IkeSa): Buffer {
  const psk = ctx.cfg.psk(sa.peer, sa.peerId);
  if (!psk) {
    ctx.counters.count('no-psk');
    throw new IkeNotifyError(NotifyType.AuthenticationFailed, `no pre-shared key for ${sa.peer.address}`);
  }
  return psk;
}

/** The PSK for SKEYID, or undefined when the SA authenticates with signatures (it needs none). */
export function skeyidPskFor(ctx: EngineContext, sa: IkeSa): Buffer | undefined {
  return usesSignatures(sa) ? undefined : lookupPsk(ctx, sa);
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
    ? (peerCertificateSubject(sa) ??
      idDataToAddress(sa.peerId.idType, sa.peerId.data) ??
      sa.peerId.data.toString())
    : undefined;
  const suite = sa.suiteName();
  ctx.out.push({
    type: 'ike-sa-up',
    ikeSaId: sa.id,
    role: sa.role,
    peer: sa.peer,
    local: sa.local,
    clientFamily: clientFamily(sa.vendor!),
    suite,
    natT: sa.encapsulate,
    peerIdentity,
  });
  if (ctx.log.isLevelEnabled('info'))
    ctx.log.info({ ike: sa.id, suite, natT: sa.encapsulate }, 'IKE SA established');
}

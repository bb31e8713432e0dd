/**
 * Phase-1 proposal policy (RFC 2409 section 5 and Appendix A): which ISAKMP transforms the responder
 * accepts and which it picks. The default follows issue 4: AES-CBC 128/192/256 and 3DES; SHA1 and SHA-2
 * (MD5 only by opt-in); groups 14, 15, 16, 19, 20, 21, 5 and 2 (2 is legacy but Android's only group);
 * never group 1. A transform the policy cannot read (unknown cipher, strongSwan's trailing
 * Curve25519-only transform, an unknown attribute) is skipped, not fatal.
 */
import {
  CIPHERS,
  type CipherSpec,
  cipherByIkeId,
  type DhGroupId,
  type DhGroupSpec,
  dhGroupById,
  HASHES,
  type HashName,
  type HashSpec,
  hashByIkeId,
} from '../crypto/registry.js';
import { attributeNumber, type DataAttribute, numberAttribute } from './codec/attributes.js';
import { AuthMethod, IkeAttr, KEY_IKE, LifeType, NotifyType, ProtocolId } from './codec/constants.js';
import { IkeNotifyError } from './codec/errors.js';
import type { Proposal, SaPayload, Transform } from './codec/sa.js';

export interface CipherChoice {
  readonly cipher: 'aes-cbc' | '3des-cbc';
  readonly keyBits: number;
}

export interface Phase1Policy {
  /** Accepted ciphers, most preferred first. */
  readonly ciphers: readonly CipherChoice[];
  readonly hashes: readonly HashName[];
  readonly groups: readonly DhGroupId[];
  /** Authentication methods (RFC 2409 App. A): PSK (1) and RSA signatures (3, needs certificates). */
  readonly authMethods: readonly number[];
  /** Lifetimes longer than this are capped and announced with RESPONDER-LIFETIME. */
  readonly maxLifetimeSeconds: number;
  /** 'client': the first acceptable transform in the client's order (IKEv1 custom); 'server': ours. */
  readonly prefer: 'client' | 'server';
}

export const DEFAULT_PHASE1_POLICY: Phase1Policy = {
  ciphers: [
    { cipher: 'aes-cbc', keyBits: 256 },
    { cipher: 'aes-cbc', keyBits: 192 },
    { cipher: 'aes-cbc', keyBits: 128 },
    { cipher: '3des-cbc', keyBits: 192 },
  ],
  hashes: ['sha256', 'sha384', 'sha512', 'sha1'],
  groups: [14, 15, 16, 19, 20, 21, 5, 2],
  authMethods: [AuthMethod.PreSharedKey],
  maxLifetimeSeconds: 86400,
  prefer: 'client',
};

/**
 * The policy as credentials allow: RSA signatures (method 3, RFC 2409 section 5.1) only with a certificate
 * configured, and then added to the default PSK when no policy was given. Unchanged policies are returned
 * as they are.
 */
export function phase1ForCredentials(p: Phase1Policy | undefined, haveCertificates: boolean): Phase1Policy {
  if (p === undefined) {
    return haveCertificates
      ? { ...DEFAULT_PHASE1_POLICY, authMethods: [AuthMethod.PreSharedKey, AuthMethod.RsaSignature] }
      : DEFAULT_PHASE1_POLICY;
  }
  if (haveCertificates || !p.authMethods.includes(AuthMethod.RsaSignature)) return p;
  return { ...p, authMethods: p.authMethods.filter((m) => m !== AuthMethod.RsaSignature) };
}

/** The policy with MD5 added last (issue 4: MD5 only by opt-in). */
export function withMd5(p: Phase1Policy): Phase1Policy {
  return { ...p, hashes: [...p.hashes.filter((h) => h !== 'md5'), 'md5'] };
}

/** Groups accepted but logged as legacy. */
export const LEGACY_GROUPS: readonly number[] = [2, 5];

export interface Phase1Transform {
  readonly cipher: CipherSpec;
  readonly keyBits: number;
  readonly hash: HashSpec;
  readonly group: DhGroupSpec;
  readonly authMethod: number;
  readonly lifetimeSeconds: number | undefined;
  readonly lifetimeKilobytes: number | undefined;
}

export interface Phase1Choice extends Phase1Transform {
  readonly proposal: Proposal;
  /** The transform exactly as proposed: the responder echoes it (RFC 2409 section 5). */
  readonly transform: Transform;
  /** The lifetime we enforce (the client's, capped). */
  readonly effectiveLifetimeSeconds: number;
  readonly capped: boolean;
  readonly legacyGroup: boolean;
}

/** RFC 2409 App. A says the default lifetime is 8 hours when none is proposed. */
export const DEFAULT_PHASE1_LIFETIME = 28800;

/** Reads life type/duration pairs (RFC 2409 App. A, RFC 2407 s4.5: a duration follows its type). */
export function readLifetimes(
  attrs: readonly DataAttribute[],
  typeAttr: number,
  durationAttr: number,
): { seconds: number | undefined; kilobytes: number | undefined } | undefined {
  let current: number | undefined;
  let seconds: number | undefined;
  let kilobytes: number | undefined;
  for (const a of attrs) {
    if (a.type === typeAttr) current = attributeNumber(a);
    else if (a.type === durationAttr) {
      const v = attributeNumber(a);
      if (v === undefined || current === undefined) return undefined;
      if (v === 0) {
        // RFC 2409 gives 0 no meaning; strongSwan sends it for "no limit" (rekey=no, common in L2TP client
        // configurations). Treat it as no proposal: our default lifetime applies.
        current = undefined;
        continue;
      }
      if (current === LifeType.Seconds) seconds = v;
      else if (current === LifeType.Kilobytes) kilobytes = v;
      else return undefined;
      current = undefined;
    }
  }
  return { seconds, kilobytes };
}

/** Parses one phase-1 transform; undefined when anything in it is unknown to us. */
export function readPhase1Transform(t: Transform): Phase1Transform | undefined {
  if (t.id !== KEY_IKE) return undefined;
  let cipher: CipherSpec | undefined;
  let hashSpec: HashSpec | undefined;
  let group: DhGroupSpec | undefined;
  let authMethod: number | undefined;
  let keyBits: number | undefined;
  for (const a of t.attributes) {
    const v = attributeNumber(a);
    if (v === undefined) return undefined;
    switch (a.type) {
      case IkeAttr.EncryptionAlgorithm:
        cipher = cipherByIkeId(v);
        if (!cipher) return undefined;
        break;
      case IkeAttr.HashAlgorithm:
        hashSpec = hashByIkeId(v);
        if (!hashSpec) return undefined;
        break;
      case IkeAttr.GroupDescription:
        group = dhGroupById(v);
        if (!group) return undefined;
        break;
      case IkeAttr.AuthenticationMethod:
        authMethod = v;
        break;
      case IkeAttr.KeyLength:
        keyBits = v;
        break;
      case IkeAttr.LifeType:
      case IkeAttr.LifeDuration:
        break;
      default:
        return undefined;
    }
  }
  const life = readLifetimes(t.attributes, IkeAttr.LifeType, IkeAttr.LifeDuration);
  if (!cipher || !hashSpec || !group || authMethod === undefined || !life) return undefined;
  if (keyBits === undefined) {
    // RFC 3602 section 5 makes Key Length mandatory for AES; tolerate its absence as AES-128 (racoon does).
    keyBits = cipher.keyBits[0];
  }
  if (!cipher.keyBits.includes(keyBits)) return undefined;
  return {
    cipher,
    keyBits,
    hash: hashSpec,
    group,
    authMethod,
    lifetimeSeconds: life.seconds,
    lifetimeKilobytes: life.kilobytes,
  };
}

function rank(p: Phase1Policy, t: Phase1Transform): number | undefined {
  const c = p.ciphers.findIndex((x) => x.cipher === t.cipher.name && x.keyBits === t.keyBits);
  const h = p.hashes.indexOf(t.hash.name);
  const g = p.groups.indexOf(t.group.id);
  if (c < 0 || h < 0 || g < 0 || t.group.id === 1 || !p.authMethods.includes(t.authMethod)) return undefined;
  return g * 10000 + c * 100 + h;
}

/**
 * Chooses a phase-1 transform from the client's SA; throws NO-PROPOSAL-CHOSEN (RFC 2408 s5.4) when none
 * fits.
 */
export function choosePhase1(p: Phase1Policy, sa: SaPayload): Phase1Choice {
  let best: { score: number; proposal: Proposal; transform: Transform; parsed: Phase1Transform } | undefined;
  let order = 0;
  for (const proposal of sa.proposals) {
    if (proposal.protocolId !== ProtocolId.ISAKMP) continue;
    for (const transform of proposal.transforms) {
      const parsed = readPhase1Transform(transform);
      order++;
      if (!parsed) continue;
      const r = rank(p, parsed);
      if (r === undefined) continue;
      const score = p.prefer === 'client' ? order : r;
      if (!best || score < best.score) best = { score, proposal, transform, parsed };
    }
  }
  if (!best) throw new IkeNotifyError(NotifyType.NoProposalChosen, 'no acceptable phase-1 transform');
  const proposed = best.parsed.lifetimeSeconds ?? DEFAULT_PHASE1_LIFETIME;
  const effective = Math.min(proposed, p.maxLifetimeSeconds);
  const t = best.parsed;
  // Field by field rather than an object spread of `t` (measurably cheaper on every MM1).
  return {
    cipher: t.cipher,
    keyBits: t.keyBits,
    hash: t.hash,
    group: t.group,
    authMethod: t.authMethod,
    lifetimeSeconds: t.lifetimeSeconds,
    lifetimeKilobytes: t.lifetimeKilobytes,
    proposal: best.proposal,
    transform: best.transform,
    effectiveLifetimeSeconds: effective,
    capped: effective < proposed,
    legacyGroup: LEGACY_GROUPS.includes(t.group.id),
  };
}

/** Builds a phase-1 transform's attributes (the initiator's side). */
export function phase1Attributes(t: {
  cipher: CipherChoice;
  hash: HashName;
  group: DhGroupId;
  authMethod?: number;
  lifetimeSeconds: number;
}): DataAttribute[] {
  const attrs: DataAttribute[] = [
    { type: IkeAttr.EncryptionAlgorithm, value: CIPHERS[t.cipher.cipher].ikeId ?? 0 },
  ];
  if (t.cipher.cipher === 'aes-cbc') attrs.push({ type: IkeAttr.KeyLength, value: t.cipher.keyBits });
  attrs.push(
    { type: IkeAttr.HashAlgorithm, value: HASHES[t.hash].ikeHashId },
    { type: IkeAttr.AuthenticationMethod, value: t.authMethod ?? AuthMethod.PreSharedKey },
    { type: IkeAttr.GroupDescription, value: t.group },
    { type: IkeAttr.LifeType, value: LifeType.Seconds },
    numberAttribute(IkeAttr.LifeDuration, t.lifetimeSeconds),
  );
  return attrs;
}

/**
 * Quick Mode (phase-2) ESP proposal policy: RFC 2407 section 4.4.4 transform IDs (3DES = 3, AES-CBC = 12,
 * AES-GCM-16 = 20 per RFC 4106), section 4.5 attributes (authentication algorithm 1, 2, 5, 6, 7;
 * encapsulation modes 1, 2, RFC 3947's 3 and 4, the drafts' 61443 and 61444), PFS groups and lifetimes.
 */
import {
  type CipherName,
  type CipherSpec,
  cipherByEspId,
  type DhGroupId,
  type DhGroupSpec,
  dhGroupById,
  INTEGRITY,
  type IntegrityName,
  type IntegritySpec,
  integrityByEspAuthId,
} from '../crypto/registry.js';
import { attributeNumber, type DataAttribute, numberAttribute } from './codec/attributes.js';
import { EncapsulationMode, IpsecAttr, LifeType, NotifyType, ProtocolId } from './codec/constants.js';
import { IkeNotifyError } from './codec/errors.js';
import type { Proposal, SaPayload, Transform } from './codec/sa.js';
import { readLifetimes } from './policy.js';

export interface EspSuiteChoice {
  readonly cipher: CipherName;
  readonly keyBits: number;
  /** Undefined for AES-GCM (its ICV is the AEAD tag). */
  readonly integrity: IntegrityName | undefined;
}

export interface EspPolicy {
  /** Accepted suites, most preferred first. */
  readonly suites: readonly EspSuiteChoice[];
  /** Groups accepted for PFS (a KE in Quick Mode). */
  readonly pfsGroups: readonly DhGroupId[];
  /** Raw ESP (tunnel/transport without UDP) is negotiated only when the owner says it is available. */
  readonly allowRawEsp: boolean;
  readonly maxLifetimeSeconds: number;
  readonly prefer: 'client' | 'server';
  /** Android 6/7 truncate HMAC-SHA2-256 to 96 bits ("sha2 truncbug"). */
  readonly sha256Truncated96: boolean;
}

const CBC_CIPHERS: readonly EspSuiteChoice[] = (['aes-cbc', '3des-cbc'] as const).flatMap((cipher) =>
  (cipher === 'aes-cbc' ? [256, 192, 128] : [192]).flatMap((keyBits) =>
    (['hmac-sha256-128', 'hmac-sha384-192', 'hmac-sha512-256', 'hmac-sha1-96', 'hmac-md5-96'] as const).map(
      (integrity) => ({ cipher, keyBits, integrity }),
    ),
  ),
);

export const DEFAULT_ESP_POLICY: EspPolicy = {
  suites: [
    { cipher: 'aes-gcm-16', keyBits: 256, integrity: undefined },
    { cipher: 'aes-gcm-16', keyBits: 128, integrity: undefined },
    ...CBC_CIPHERS,
  ],
  pfsGroups: [14, 15, 16, 19, 20, 21, 5, 2],
  allowRawEsp: false,
  maxLifetimeSeconds: 28800,
  prefer: 'client',
  sha256Truncated96: false,
};

export interface EspTransform {
  readonly cipher: CipherSpec;
  readonly keyBits: number;
  readonly integrity: IntegritySpec | undefined;
  readonly encapsulationMode: number;
  readonly pfsGroup: DhGroupSpec | undefined;
  readonly lifetimeSeconds: number | undefined;
  readonly lifetimeKilobytes: number | undefined;
}

export interface EspChoice extends EspTransform {
  readonly proposal: Proposal;
  readonly transform: Transform;
  /** The initiator's SPI: our outbound SPI when we are the responder. */
  readonly peerSpi: Buffer;
  readonly mode: 'transport' | 'tunnel';
  readonly udpEncapsulation: boolean;
  readonly effectiveLifetimeSeconds: number;
  readonly capped: boolean;
}

export const DEFAULT_PHASE2_LIFETIME = 28800;

export function readEspTransform(t: Transform): EspTransform | undefined {
  const cipher = cipherByEspId(t.id);
  if (!cipher) return undefined;
  let keyBits: number | undefined;
  let integrity: IntegritySpec | undefined;
  let encapsulationMode: number | undefined;
  let pfsGroup: DhGroupSpec | undefined;
  for (const a of t.attributes) {
    const v = attributeNumber(a);
    if (v === undefined) return undefined;
    switch (a.type) {
      case IpsecAttr.KeyLength:
        keyBits = v;
        break;
      case IpsecAttr.AuthenticationAlgorithm:
        integrity = integrityByEspAuthId(v);
        if (!integrity) return undefined;
        break;
      case IpsecAttr.EncapsulationMode:
        encapsulationMode = v;
        break;
      case IpsecAttr.GroupDescription:
        pfsGroup = dhGroupById(v);
        if (!pfsGroup) return undefined;
        break;
      case IpsecAttr.SaLifeType:
      case IpsecAttr.SaLifeDuration:
        break;
      default:
        return undefined;
    }
  }
  const life = readLifetimes(t.attributes, IpsecAttr.SaLifeType, IpsecAttr.SaLifeDuration);
  if (!life) return undefined;
  if (keyBits === undefined) {
    if (cipher.keyLengthAttribute) return undefined;
    keyBits = cipher.keyBits[0];
  }
  if (!cipher.keyBits.includes(keyBits)) return undefined;
  // RFC 4106 section 8.1: GCM carries no integrity transform; CBC without one would be unauthenticated.
  if ((cipher.kind === 'aead') !== (integrity === undefined)) return undefined;
  return {
    cipher,
    keyBits,
    integrity,
    // RFC 2407 section 4.5: an absent Encapsulation Mode means tunnel.
    encapsulationMode: encapsulationMode ?? EncapsulationMode.Tunnel,
    pfsGroup,
    lifetimeSeconds: life.seconds,
    lifetimeKilobytes: life.kilobytes,
  };
}

export function describeMode(m: number): { mode: 'transport' | 'tunnel'; udp: boolean } | undefined {
  switch (m) {
    case EncapsulationMode.Tunnel:
      return { mode: 'tunnel', udp: false };
    case EncapsulationMode.Transport:
      return { mode: 'transport', udp: false };
    case EncapsulationMode.UdpTunnel:
    case EncapsulationMode.UdpTunnelDraft:
      return { mode: 'tunnel', udp: true };
    case EncapsulationMode.UdpTransport:
    case EncapsulationMode.UdpTransportDraft:
      return { mode: 'transport', udp: true };
    default:
      return undefined;
  }
}

/** Each policy's suite list as a lookup table, built once per list instead of scanned per transform. */
const suiteRanks = new WeakMap<readonly EspSuiteChoice[], Map<string, number>>();

function suiteKey(cipher: CipherName, keyBits: number, integrity: IntegrityName | undefined): string {
  return `${cipher}/${keyBits}/${integrity ?? ''}`;
}

/** The position of a suite in the policy's list (its rank, lower preferred); undefined when not listed. */
function suiteRank(
  suites: readonly EspSuiteChoice[],
  cipher: CipherName,
  keyBits: number,
  integrity: IntegrityName | undefined,
): number | undefined {
  let ranks = suiteRanks.get(suites);
  if (!ranks) {
    ranks = new Map();
    for (let i = 0; i < suites.length; i++) {
      const key = suiteKey(suites[i].cipher, suites[i].keyBits, suites[i].integrity);
      if (!ranks.has(key)) ranks.set(key, i);
    }
    suiteRanks.set(suites, ranks);
  }
  return ranks.get(suiteKey(cipher, keyBits, integrity));
}

/**
 * Chooses an ESP proposal. `udpRequired` is true once NAT was detected or forced in Main Mode: then only
 * the UDP-encapsulated modes are accepted; otherwise raw modes need `allowRawEsp`. A proposal that mixes
 * ESP with other protocols (AH, IPComp) is skipped.
 */
export function chooseEsp(p: EspPolicy, sa: SaPayload, udpRequired: boolean): EspChoice {
  // Proposals sharing a number are one AND-ed offer (RFC 2408 section 4.2); ESP bundled with AH or IPComp
  // is skipped, so only numbers that appear once count.
  const seen = new Map<number, number>();
  for (const prop of sa.proposals) seen.set(prop.number, (seen.get(prop.number) ?? 0) + 1);
  let best: { score: number; proposal: Proposal; transform: Transform; parsed: EspTransform } | undefined;
  let order = 0;
  for (const proposal of sa.proposals) {
    if (seen.get(proposal.number) !== 1) continue;
    if (proposal.protocolId !== ProtocolId.ESP || proposal.spi.length !== 4) continue;
    for (const transform of proposal.transforms) {
      order++;
      const parsed = readEspTransform(transform);
      if (!parsed) continue;
      const mode = describeMode(parsed.encapsulationMode);
      if (!mode || (udpRequired && !mode.udp) || (!mode.udp && !p.allowRawEsp)) continue;
      if (parsed.pfsGroup && (!p.pfsGroups.includes(parsed.pfsGroup.id) || parsed.pfsGroup.id === 1))
        continue;
      const r = suiteRank(p.suites, parsed.cipher.name, parsed.keyBits, parsed.integrity?.name);
      if (r === undefined) continue;
      const score = p.prefer === 'client' ? order : r;
      if (!best || score < best.score) best = { score, proposal, transform, parsed };
    }
  }
  if (!best) throw new IkeNotifyError(NotifyType.NoProposalChosen, 'no acceptable ESP transform');
  const mode = describeMode(best.parsed.encapsulationMode)!;
  const proposed = best.parsed.lifetimeSeconds ?? DEFAULT_PHASE2_LIFETIME;
  const effective = Math.min(proposed, p.maxLifetimeSeconds);
  return espChoice(best.parsed, {
    proposal: best.proposal,
    transform: best.transform,
    peerSpi: best.proposal.spi,
    mode: mode.mode,
    udpEncapsulation: mode.udp,
    effectiveLifetimeSeconds: effective,
    capped: effective < proposed,
  });
}

/**
 * An EspChoice from a parsed transform and what the exchange decided. Written out field by field: an
 * object spread of `parsed` measured as the costliest line of Quick Mode's bookkeeping.
 */
export function espChoice(parsed: EspTransform, decided: Omit<EspChoice, keyof EspTransform>): EspChoice {
  return {
    cipher: parsed.cipher,
    keyBits: parsed.keyBits,
    integrity: parsed.integrity,
    encapsulationMode: parsed.encapsulationMode,
    pfsGroup: parsed.pfsGroup,
    lifetimeSeconds: parsed.lifetimeSeconds,
    lifetimeKilobytes: parsed.lifetimeKilobytes,
    proposal: decided.proposal,
    transform: decided.transform,
    peerSpi: decided.peerSpi,
    mode: decided.mode,
    udpEncapsulation: decided.udpEncapsulation,
    effectiveLifetimeSeconds: decided.effectiveLifetimeSeconds,
    capped: decided.capped,
  };
}

/** Attributes of an ESP transform (the initiator's side). */
export function espAttributes(t: {
  suite: EspSuiteChoice;
  encapsulationMode: number;
  pfsGroup?: DhGroupId | undefined;
  lifetimeSeconds: number;
}): DataAttribute[] {
  const attrs: DataAttribute[] = [
    { type: IpsecAttr.SaLifeType, value: LifeType.Seconds },
    numberAttribute(IpsecAttr.SaLifeDuration, t.lifetimeSeconds),
    { type: IpsecAttr.EncapsulationMode, value: t.encapsulationMode },
  ];
  if (t.pfsGroup !== undefined) attrs.push({ type: IpsecAttr.GroupDescription, value: t.pfsGroup });
  if (t.suite.cipher !== '3des-cbc') attrs.push({ type: IpsecAttr.KeyLength, value: t.suite.keyBits });
  if (t.suite.integrity) {
    attrs.push({ type: IpsecAttr.AuthenticationAlgorithm, value: INTEGRITY[t.suite.integrity].espAuthId });
  }
  return attrs;
}

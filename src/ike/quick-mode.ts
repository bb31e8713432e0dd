import { CryptoError } from '../crypto/errors.js';
import { keymat, phase2Iv } from '../crypto/ikev1-kdf.js';
import type { ChildSaParams, EspKeys, TrafficSelector } from './actions.js';
import { NotifyType, PayloadType, ProtocolId } from './codec/constants.js';
import { IkeNotifyError } from './codec/errors.js';
import type { IsakmpHeader } from './codec/header.js';
import {
  addressToIdData,
  type IdPayload,
  idDataToAddress,
  type NatOaPayload,
} from './codec/identification.js';
import { encodePayloadsInto, type Payload, type PayloadChain, payloadsLength } from './codec/payloads.js';
import type { EngineContext } from './context.js';
import type { EspChoice } from './esp-policy.js';
import type { IkeSa, Phase2Exchange } from './ike-sa.js';

export const UDP = 17;

/**
 * HASH payload followed by `rest`; the hash is computed over `rest`'s exact bytes (RFC 2409 s5.5). The
 * chain is laid out once, in a buffer already zero-padded to the SA's cipher block (what sealBody sends).
 */
export function hashed(sa: IkeSa, rest: readonly Payload[], mac: (restBytes: Buffer) => Buffer): Buffer {
  const hashSize = sa.suite!.hash.size;
  const headLength = 4 + hashSize;
  const restLength = payloadsLength(rest);
  const out = Buffer.allocUnsafe(sa.paddedLength(headLength + restLength));
  out.fill(0, encodePayloadsInto(rest, out, headLength));
  const h = mac(out.subarray(headLength, headLength + restLength));
  if (h.length !== hashSize) throw new Error(`prf output of ${h.length} bytes, expected ${hashSize}`);
  out[0] = rest.length > 0 ? rest[0].type : PayloadType.None;
  out[1] = 0;
  out.writeUInt16BE(headLength, 2);
  out.set(h, 4);
  return out;
}

export function afterHash(plain: Buffer, chain: PayloadChain): Buffer {
  return chain.offsets.length > 1 ? plain.subarray(chain.offsets[1], chain.end) : Buffer.alloc(0);
}

export function openPhase2(
  sa: IkeSa,
  header: IsakmpHeader,
  raw: Buffer,
  iv: Buffer,
): { chain: PayloadChain; plain: Buffer; lastBlock: Buffer; hash: Buffer } {
  const { chain, plain, lastBlock } = sa.open(header, raw, iv);
  const first = chain.payloads[0];
  if (!first || first.type !== PayloadType.HASH) {
    throw new IkeNotifyError(NotifyType.InvalidHashInformation, 'phase-2 message without leading HASH');
  }
  return { chain, plain, lastBlock, hash: first.data };
}

export function phase2StartIv(sa: IkeSa, messageId: number): Buffer {
  const s = sa.suite!;
  return phase2Iv(s.hash.name, sa.iv, messageId, s.cipher.blockSize);
}

export function newExchange(
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
    // Present from the start so every exchange object keeps one shape.
    pfsSecret: undefined,
    offered: undefined,
  };
}

export function pfsSecret(ex: Phase2Exchange, peerKe: Buffer): Buffer {
  try {
    return ex.dh!.computeSecret(peerKe);
  } catch (err) {
    if (err instanceof CryptoError) throw new IkeNotifyError(NotifyType.InvalidKeyInformation, err.message);
    throw err;
  }
}

export function selector(id: IdPayload | undefined): TrafficSelector | undefined {
  if (!id) return undefined;
  return { address: idDataToAddress(id.idType, id.data) ?? '', protocol: id.protocolId, port: id.port };
}

export function natOas(chain: PayloadChain): string[] {
  const out: string[] = [];
  for (const p of chain.payloads) {
    if (p.type === PayloadType.NatOA || p.type === PayloadType.NatOADraft)
      out.push(idDataToAddress(p.idType, p.address) ?? '');
  }
  return out;
}

export function splitKeys(choice: EspChoice, km: Buffer): EspKeys {
  const enc = choice.keyBits / 8;
  const salt = choice.cipher.saltSize;
  return {
    encryption: km.subarray(0, enc),
    salt: km.subarray(enc, enc + salt),
    integrity: km.subarray(enc + salt, enc + salt + (choice.integrity?.keySize ?? 0)),
  };
}

export function buildChild(
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

export function install(ctx: EngineContext, sa: IkeSa, params: ChildSaParams): void {
  sa.children.push({
    params,
    createdAt: ctx.now,
    expiresAt: ctx.now + params.lifetimeSeconds * 1000,
    lastTraffic: ctx.now,
  });
  ctx.counters.count('child-sa-installed');
  ctx.out.push({ type: 'install-sa', sa: params });
  if (!ctx.log.isLevelEnabled('info')) return;
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

export function natOaPayloads(
  sa: IkeSa,
  initiatorAddr: string,
  responderAddr: string,
  own: string,
): NatOaPayload[] {
  const mk = (addr: string, type: NatOaPayload['type']): NatOaPayload => {
    const { idType, data } = addressToIdData(addr);
    return { type, idType, address: data };
  };
  // RFC 3947 section 5.2 sends NAT-OAi and NAT-OAr; the drafts one NAT-OA with the sender's own address.
  if (sa.natT === 'draft') return [mk(own, PayloadType.NatOADraft)];
  return [mk(initiatorAddr, PayloadType.NatOA), mk(responderAddr, PayloadType.NatOA)];
}

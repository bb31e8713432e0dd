/**
 * One ISAKMP SA: its cookies, endpoints, negotiated suite, keys, the phase-1 IV chain and the per-message-ID
 * IV chains of Quick Mode and informational exchanges (RFC 2409 Appendix B), and the child SAs above it.
 */
import { activeBackend } from '../crypto/backend.js';
import { cbcDecrypt, cbcEncrypt } from '../crypto/cbc.js';
import { CbcContext } from '../crypto/cbc-context.js';
import type { DhKeyPair } from '../crypto/dh.js';
import type { CipherSpec, DhGroupSpec, HashSpec } from '../crypto/registry.js';
import type { Millis } from '../util/clock.js';
import type { ChildSaParams } from './actions.js';
import { HEADER_LENGTH, HeaderFlag } from './codec/constants.js';
import { IkeDecodeError } from './codec/errors.js';
import type { IsakmpHeader } from './codec/header.js';
import type { IdPayload } from './codec/identification.js';
import { frameMessage, type MessageHead } from './codec/message.js';
import {
  decodePayloads,
  encodePayloadsInto,
  firstPayloadType,
  type Payload,
  type PayloadChain,
  payloadsLength,
} from './codec/payloads.js';
import type { Proposal } from './codec/sa.js';
import type { EspChoice } from './esp-policy.js';
import type { Endpoint } from './natt.js';
import type { NatTVersion, PeerVendorInfo } from './vendor-ids.js';

/** Main Mode states by the message awaited next; 'am2' is an Aggressive Mode responder awaiting message 3. */
export type MainModeState = 'mm1' | 'mm2' | 'mm3' | 'mm4' | 'mm5' | 'am2' | 'established' | 'deleted';

export interface Phase1Suite {
  readonly cipher: CipherSpec;
  readonly keyBits: number;
  readonly hash: HashSpec;
  readonly group: DhGroupSpec;
  readonly lifetimeSeconds: number;
}

export interface Phase1Keys {
  readonly skeyid: Buffer;
  readonly d: Buffer;
  readonly a: Buffer;
  readonly e: Buffer;
  readonly encKey: Buffer;
}

/** A Quick Mode or informational exchange, keyed by message ID. */
export interface Phase2Exchange {
  readonly messageId: number;
  readonly kind: 'quick' | 'info';
  readonly role: 'initiator' | 'responder';
  state: 'qm1' | 'qm2' | 'done';
  iv: Buffer;
  ni: Buffer;
  nr: Buffer | undefined;
  dh: DhKeyPair | undefined;
  spiIn: Buffer;
  choice: EspChoice | undefined;
  idci: IdPayload | undefined;
  idcr: IdPayload | undefined;
  natOaI: string | undefined;
  natOaR: string | undefined;
  lastSent: Buffer | undefined;
  lastReceived: Buffer | undefined;
  retransmitAt: Millis | undefined;
  retransmitWait: Millis;
  tries: number;
  expiresAt: Millis;
  /** Set once an initiator's QM2 is answered. */
  installed: ChildSaParams | undefined;
  /** The Quick Mode PFS secret g(qm)^xy, kept for KEYMAT until QM3 (responder). */
  pfsSecret?: Buffer | undefined;
  /** Initiator: the proposal QM1 offered (QM2 must echo one of its transforms). */
  offered?: Proposal | undefined;
}

export interface ChildSa {
  readonly params: ChildSaParams;
  readonly createdAt: Millis;
  readonly expiresAt: Millis;
  lastTraffic: Millis;
  /** ESP has reported traffic on it at least once. */
  trafficSeen?: boolean;
}

export class IkeSa {
  state: MainModeState;
  ckyR: Buffer;
  suite: Phase1Suite | undefined;
  /** SAi_b: the initiator's SA payload body, authenticated by HASH_I/HASH_R (RFC 2409 section 5). */
  saiB: Buffer = Buffer.alloc(0);
  dh: DhKeyPair | undefined;
  gxi: Buffer | undefined;
  gxr: Buffer | undefined;
  gxy: Buffer | undefined;
  ni: Buffer | undefined;
  nr: Buffer | undefined;
  keys: Phase1Keys | undefined;
  /** Phase-1 IV: the last CBC block of the previous phase-1 message. */
  iv: Buffer = Buffer.alloc(0);
  vendor: PeerVendorInfo | undefined;
  natT: NatTVersion | undefined;
  /** UDP encapsulation will be used (NAT detected or forced). */
  encapsulate = false;
  /** Windows' hash of our address from MM3, echoed in MM4. */
  peerNatDForUs: Buffer | undefined;
  peerId: IdPayload | undefined;
  initialContact = false;
  /** The lifetime we enforce is shorter than the one proposed (RESPONDER-LIFETIME goes in MM6). */
  capped = false;
  /** MM1 as received: a retransmitted MM1 is answered with MM2 again. */
  firstReceived: Buffer | undefined;
  lastSent: Buffer | undefined;
  lastReceived: Buffer | undefined;
  retransmitAt: Millis | undefined;
  retransmitWait: Millis = 0;
  tries = 0;
  expiresAt: Millis;
  readonly exchanges = new Map<number, Phase2Exchange>();
  readonly children: ChildSa[] = [];
  dpdEnabled = false;
  dpdSeq = 0;
  dpdOutstanding: { seq: number; sentAt: Millis; tries: number } | undefined;
  lastHeard: Millis;
  establishedAt: Millis | undefined;
  /** Next NAT keep-alive (initiator behind NAT, RFC 3948 section 2.3). */
  keepaliveAt: Millis | undefined;
  /** Initiator: the MM1 proposal (for checking MM2's echo). */
  offered: Payload | undefined;
  /** Initiator: the endpoints Main Mode started from (before any NAT-T float), for a phase-1 rekey. */
  origin: { readonly peer: Endpoint; readonly local: Endpoint } | undefined;
  /** Initiator: when to start a phase-1 rekey (RFC 2409 section 5 leaves the timing to policy). */
  rekeyAt: Millis | undefined;
  /** Initiator: rekey attempts made for this SA so far. */
  rekeyTries = 0;
  /** On the SA being replaced: the id of the Main Mode in progress that will replace it. */
  rekeyedBy: string | undefined;
  /** On a replacing SA: the id of the SA it replaces (no INITIAL-CONTACT, no new Quick Mode). */
  rekeyOf: string | undefined;

  constructor(
    readonly role: 'initiator' | 'responder',
    readonly ckyI: Buffer,
    public peer: Endpoint,
    public local: Endpoint,
    readonly createdAt: Millis,
    expiresAt: Millis,
  ) {
    this.state = role === 'initiator' ? 'mm1' : 'mm2';
    this.ckyR = zeroCookie();
    this.expiresAt = expiresAt;
    this.lastHeard = createdAt;
  }

  /** A stable handle: our own cookie (the initiator's or the responder's), unique in the engine. */
  get id(): string {
    const own = this.role === 'initiator' ? this.ckyI : this.ckyR;
    if (this.idOf !== own) {
      this.idOf = own;
      this.idText = own.toString('hex');
    }
    return this.idText;
  }

  private idOf: Buffer | undefined;
  private idText = '';

  /** The table key: both cookies (issue 4: never the address alone). */
  get key(): string {
    return ikeSaKey(this.ckyI, this.ckyR);
  }

  /** Counted against the half-open limits (responder SAs before MM5 authenticates). */
  halfOpen = false;
  /** Key of this SA in the engine's MM1 index (responder). */
  mm1Key: string | undefined;
  halfOpenSource: string | undefined;
  /** Identity Protection (Main Mode) or Aggressive (RFC 2408 section 3.1 exchange types). */
  exchangeType: number = 2;
  /** Aggressive Mode: IDii_b from message 1, authenticated by HASH_I in message 3. */
  idiiB: Buffer | undefined;

  head(exchangeType: number, messageId: number, flags: number): MessageHead {
    return { initiatorCookie: this.ckyI, responderCookie: this.ckyR, exchangeType, flags, messageId };
  }

  /**
   * Encrypts a payload chain with `iv` (RFC 2409 Appendix B); zero padding to the block size (RFC 2408
   * section 3.1 leaves its content open). Returns the message and its last cipher block (the next IV).
   */
  seal(head: MessageHead, payloads: readonly Payload[], iv: Buffer): { data: Buffer; lastBlock: Buffer } {
    // The chain is encoded straight into its zero-padded buffer, so sealBody needs no copy of it.
    const plain = Buffer.allocUnsafe(this.paddedLength(payloadsLength(payloads)));
    plain.fill(0, encodePayloadsInto(payloads, plain, 0));
    return this.sealBody(head, firstPayloadType(payloads), plain, iv);
  }

  /** The encrypted body's length for `plainLength` bytes of payloads: whole blocks, at least one. */
  paddedLength(plainLength: number): number {
    const bs = this.suite!.cipher.blockSize;
    return Math.ceil(plainLength / bs) * bs || bs;
  }

  /** Encrypts `plain`, zero-padded to the block size unless it already is a non-empty block multiple. */
  sealBody(head: MessageHead, first: number, plain: Buffer, iv: Buffer): { data: Buffer; lastBlock: Buffer } {
    const bs = this.suite!.cipher.blockSize;
    let padded = plain;
    if (plain.length === 0 || plain.length % bs !== 0) {
      padded = Buffer.allocUnsafe(this.paddedLength(plain.length));
      padded.set(plain);
      padded.fill(0, plain.length);
    }
    const cbc = this.phase1Cbc();
    const ct = cbc ? cbc.encrypt(iv, padded) : cbcEncrypt(this.cbcName(), this.keys!.encKey, iv, padded);
    const data = frameMessage(head, first, ct, HeaderFlag.Encryption);
    // `ct` is this call's own buffer (never handed out or changed), so its last block can be a view.
    return { data, lastBlock: ct.subarray(ct.length - bs) };
  }

  /** Decrypts an encrypted message body; the caller commits `lastBlock` as the next IV only once authenticated. */
  open(
    header: IsakmpHeader,
    raw: Buffer,
    iv: Buffer,
  ): { chain: PayloadChain; plain: Buffer; lastBlock: Buffer } {
    const bs = this.suite!.cipher.blockSize;
    const ct = raw.subarray(HEADER_LENGTH);
    if (ct.length === 0 || ct.length % bs !== 0)
      throw new IkeDecodeError('encrypted body not a block multiple');
    const cbc = this.phase1Cbc();
    const plain = cbc ? cbc.decrypt(iv, ct) : cbcDecrypt(this.cbcName(), this.keys!.encKey, iv, ct);
    // `plain` is this call's own buffer (the cipher's fresh output): its payloads may be views of it.
    const chain = decodePayloads(header.nextPayload, plain, true, true);
    return { chain, plain, lastBlock: Buffer.from(ct.subarray(ct.length - bs)) };
  }

  /**
   * One keyed CBC context for the phase-1 key, made on first use (src/crypto/cbc-context.ts): every
   * encrypted message under this SA shares the key, only the IV chain differs (RFC 2409 Appendix B), so
   * a cipher object per message is wasted work. The IVs stay the caller's: this changes no byte on the
   * wire. Under the noble backend (cross-checks) the one-shot functions run instead.
   */
  private phase1Cbc(): CbcContext | undefined {
    const key = this.keys!.encKey;
    if (this.cbc?.key !== key) {
      if (activeBackend().name !== 'node') return undefined;
      this.cbc = { key, context: new CbcContext(this.cbcName(), key) };
    }
    return this.cbc.context;
  }

  private cbc: { readonly key: Buffer; readonly context: CbcContext } | undefined;

  private cbcName(): 'aes-cbc' | '3des-cbc' {
    const n = this.suite!.cipher.name;
    if (n === 'aes-gcm-16') throw new Error('phase 1 never negotiates GCM');
    return n;
  }

  suiteName(): string {
    const s = this.suite!;
    const c = s.cipher.name === 'aes-cbc' ? `aes${s.keyBits}` : '3des';
    const g = s.group.kind === 'ecp' ? `ecp${s.group.bits}` : `modp${s.group.bits}`;
    return `${c}-${s.hash.name}-${g}`;
  }
}

/** A fresh all-zero cookie (the responder's, until MM2 names it), from Node's buffer pool. */
function zeroCookie(): Buffer {
  return Buffer.allocUnsafe(8).fill(0);
}

/**
 * The table key of a cookie pair: both cookies as one 16-character latin1 string (one character per byte,
 * so distinct pairs never collide), looked up for every encrypted message; cheaper to build than hex.
 */
export function ikeSaKey(ckyI: Buffer, ckyR: Buffer): string {
  return ckyI.toString('latin1') + ckyR.toString('latin1');
}

/** The payload body after its generic header: what SAi_b, IDii_b, Ni_b mean in RFC 2409 section 5. */
export function payloadBody(plain: Buffer, chain: PayloadChain, index: number): Buffer {
  const start = chain.offsets[index];
  const end = index + 1 < chain.offsets.length ? chain.offsets[index + 1] : chain.end;
  return plain.subarray(start + 4, end);
}

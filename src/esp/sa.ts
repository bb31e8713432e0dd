/**
 * An ESP Security Association (RFC 4303; RFC 4301 section 4.4.2 for what an SA holds): one direction, one
 * SPI, one set of keys, a 32-bit sequence number (IKEv1 has no ESN), an anti-replay window on inbound SAs,
 * lifetimes, statistics and per-reason drop counters.
 *
 * The SA knows nothing about the transport: the caller puts the bytes `sealInto` writes after an IPv4
 * header (raw ESP, protocol 50) or a UDP header on port 4500 (RFC 3948), and hands `openFrom` the bytes
 * starting at the SPI either way. The peer (address, and port when UDP-encapsulated) is recorded for the
 * SA database and the sender.
 *
 * Nothing is thrown on the packet path: every refused packet is counted under its reason, logged at debug
 * at most once a second per SA, and reported through the result; the SA keeps working afterwards.
 */
import type { CipherSpec, IntegritySpec } from '../crypto/registry.js';
import { type Clock, type Millis, systemClock } from '../util/clock.js';
import { Counters } from '../util/counters.js';
import { type Logger, silentLogger } from '../util/log.js';
import { type EspSaState, type LifetimeCause, SEQUENCE_SOFT_LIMIT } from './lifetime.js';
import { DEFAULT_REPLAY_WINDOW, ReplayWindow } from './replay-window.js';
import { type EspDropReason, type EspSealFailure, OpenResult } from './result.js';
import {
  createTransform,
  EspConfigError,
  type EspDirection,
  type EspMode,
  type EspPeer,
  type EspSaConfig,
  NEXT_HEADER_IPV4,
  NEXT_HEADER_NONE,
  NEXT_HEADER_UDP,
} from './sa-config.js';
import {
  ESP_HEADER_SIZE,
  type EspTransform,
  MAX_ESP_PAYLOAD,
  type TransformOpenStatus,
} from './transform.js';

export {
  EspConfigError,
  type EspDirection,
  type EspMode,
  type EspPeer,
  type EspSaConfig,
  NEXT_HEADER_IPV4,
  NEXT_HEADER_IPV6,
  NEXT_HEADER_NONE,
  NEXT_HEADER_TCP,
  NEXT_HEADER_UDP,
} from './sa-config.js';

export interface EspSaStats {
  /** Packets sealed (outbound) or opened successfully (inbound). */
  packets: number;
  /** Payload bytes sealed or opened (what byte lifetimes count). */
  bytes: number;
}

/** Called (synchronously, once per limit) when the SA passes a soft or hard lifetime. */
export type LifetimeListener = (sa: EspSa, limit: 'soft' | 'hard', cause: LifetimeCause) => void;

const LOG_INTERVAL_MS = 1000;

export class EspSa {
  readonly spi: number;
  readonly direction: EspDirection;
  readonly mode: EspMode;
  readonly peer: EspPeer;
  readonly owner: string | undefined;
  readonly cipher: CipherSpec;
  readonly keyBits: number;
  readonly integrity: IntegritySpec | 'none';
  readonly createdAt: Millis;
  /** Absolute times (on the SA's clock) of the soft and hard time limits; Infinity when none. */
  readonly softAt: Millis;
  readonly hardAt: Millis;
  readonly stats: EspSaStats = { packets: 0, bytes: 0 };
  readonly drops = new Counters<EspDropReason | EspSealFailure>();
  /** Set by the SA database; see LifetimeListener. */
  lifetimeListener: LifetimeListener | undefined;

  private stateValue: EspSaState = 'active';
  /** Outbound: the last sequence number sent (0 = none yet). */
  private seq = 0;
  private readonly transform: EspTransform;
  private readonly replay: ReplayWindow | undefined;
  private readonly acceptNext = new Uint8Array(256);
  private readonly result = new OpenResult();
  private readonly batchResults: OpenResult[] = [];
  private batchTodo = new Uint8Array(16);
  private readonly batchStatuses: TransformOpenStatus[] = [];
  private readonly softBytes: number;
  private readonly hardBytes: number;
  private readonly clock: Clock;
  private readonly log: Logger;
  private lastLogAt = Number.NEGATIVE_INFINITY;

  constructor(config: EspSaConfig) {
    const { cipher, keyBits } = config;
    if (!Number.isInteger(config.spi) || config.spi < 256 || config.spi > 0xffffffff) {
      // RFC 4303 section 2.1: 0 is never an SPI and 1-255 are reserved by IANA.
      throw new EspConfigError(`SPI ${config.spi} is not in 256..2^32-1`);
    }
    if (!cipher.keyBits.includes(keyBits))
      throw new EspConfigError(`${cipher.name} has no ${keyBits}-bit key`);
    const keyBytes = keyBits / 8 + cipher.saltSize;
    if (config.encryptionKey.length !== keyBytes) {
      throw new EspConfigError(
        `${cipher.name}-${keyBits} needs ${keyBytes} key bytes, got ${config.encryptionKey.length}`,
      );
    }
    this.spi = config.spi;
    this.direction = config.direction;
    this.mode = config.mode;
    this.peer = config.peer;
    this.owner = config.owner;
    this.cipher = cipher;
    this.keyBits = keyBits;
    this.integrity = config.integrity;
    this.clock = config.clock ?? systemClock;
    this.log = (config.logger ?? silentLogger).child({
      spi: `0x${config.spi.toString(16).padStart(8, '0')}`,
    });
    this.transform = createTransform(config);

    if (config.direction === 'inbound')
      this.replay = new ReplayWindow(config.replayWindow ?? DEFAULT_REPLAY_WINDOW);
    const accepted = config.acceptNextHeaders ?? [
      config.mode === 'tunnel' ? NEXT_HEADER_IPV4 : NEXT_HEADER_UDP,
    ];
    for (const nh of accepted) this.acceptNext[nh & 0xff] = 1;

    const lt = config.lifetime ?? {};
    this.createdAt = this.clock.now();
    this.softAt =
      lt.softSeconds !== undefined ? this.createdAt + lt.softSeconds * 1000 : Number.POSITIVE_INFINITY;
    this.hardAt =
      lt.hardSeconds !== undefined ? this.createdAt + lt.hardSeconds * 1000 : Number.POSITIVE_INFINITY;
    this.softBytes = lt.softBytes ?? Number.POSITIVE_INFINITY;
    this.hardBytes = lt.hardBytes ?? Number.POSITIVE_INFINITY;
  }

  get state(): EspSaState {
    return this.stateValue;
  }

  /** Outbound: the last sequence number sent. Inbound: the highest one accepted. */
  get sequence(): number {
    return this.replay !== undefined ? this.replay.highest : this.seq;
  }

  /** Bytes `sealInto` writes for a payload of this length (SPI through ICV). */
  sealedLength(payloadLength: number): number {
    return this.transform.sealedLength(payloadLength);
  }

  /**
   * Encrypts and authenticates `payload` (RFC 4303 section 3.3) into `out[outOffset...]`, starting with the
   * SPI. `out` is the caller's reusable buffer (leave room before `outOffset` for the IPv4 or UDP header).
   * Returns the bytes written, or 0 when the packet was refused (counted under `drops`).
   */
  sealInto(payload: Uint8Array, nextHeader: number, out: Buffer, outOffset: number): number {
    if (this.direction !== 'outbound') return this.refuse('wrong-direction');
    if (this.stateValue === 'dead') return this.refuse('expired');
    if (payload.length > MAX_ESP_PAYLOAD) return this.refuse('too-large');
    if (outOffset + this.transform.sealedLength(payload.length) > out.length) return this.refuse('no-room');
    if (this.seq === 0xffffffff) {
      // RFC 4303 section 3.3.3: the counter must not cycle; exhaustion is a hard expiry.
      this.expire('hard', 'sequence');
      return this.refuse('expired');
    }
    const seq = ++this.seq;
    const n = this.transform.seal(this.spi, seq, payload, nextHeader, out, outOffset);
    this.stats.packets++;
    this.stats.bytes += payload.length;
    if (this.stats.bytes >= this.softBytes || seq >= SEQUENCE_SOFT_LIMIT) this.passedLimit(seq);
    return n;
  }

  /**
   * Seals a batch: `payloads[i]` into `outs[i]` at `outOffset`, its length into `lengths[i]` (0 = refused).
   * Same packets, sequence numbers and checks as calling `sealInto` for each in order, but a CBC SA
   * encrypts the whole batch in one native call (see CbcHmacTransform.sealMany). Returns the count sealed.
   */
  sealBatch(
    payloads: readonly Uint8Array[],
    nextHeader: number,
    outs: readonly Buffer[],
    outOffset: number,
    lengths: Int32Array,
  ): number {
    const n = payloads.length;
    if (n === 0) return 0;
    let fits = this.direction === 'outbound' && this.stateValue !== 'dead' && n <= 0xffffffff - this.seq;
    let bytes = 0;
    for (let i = 0; fits && i < n; i++) {
      const len = payloads[i].length;
      bytes += len;
      fits = len <= MAX_ESP_PAYLOAD && outOffset + this.transform.sealedLength(len) <= outs[i].length;
    }
    if (!fits) {
      // Something is off (size, room, direction, expiry): the per-packet path counts each refusal.
      let sealed = 0;
      for (let i = 0; i < n; i++) {
        lengths[i] = this.sealInto(payloads[i], nextHeader, outs[i], outOffset);
        if (lengths[i] > 0) sealed++;
      }
      return sealed;
    }
    const first = this.seq + 1;
    this.seq += n;
    this.transform.sealMany(this.spi, first, payloads, nextHeader, outs, outOffset, lengths);
    this.stats.packets += n;
    this.stats.bytes += bytes;
    if (this.stats.bytes >= this.softBytes || this.seq >= SEQUENCE_SOFT_LIMIT) this.passedLimit(this.seq);
    return n;
  }

  /**
   * Verifies and decrypts the ESP packet `packet[offset, offset+length)` (starting at the SPI; RFC 4303
   * section 3.4). The result is this SA's reused object; see OpenResult.
   */
  openFrom(packet: Buffer, offset: number, length: number): OpenResult {
    const r = this.result;
    const seq = this.admit(r, packet, offset, length);
    if (seq === 0) return r;
    return this.conclude(r, this.transform.open(packet, offset, length, r));
  }

  /**
   * Opens a batch of packets (`packets[i]` at `offsets[i]`, `lengths[i]` bytes): the same verdicts, in the
   * same order, as calling `openFrom` for each, but a CBC SA decrypts every authentic packet of the batch
   * in one native call. Returns reused result objects; entry i belongs to packet i and is valid until the
   * next open on this SA.
   */
  openBatch(
    packets: readonly Buffer[],
    offsets: ArrayLike<number>,
    lengths: ArrayLike<number>,
  ): readonly OpenResult[] {
    const n = packets.length;
    while (this.batchResults.length < n) this.batchResults.push(new OpenResult());
    if (this.batchTodo.length < n) this.batchTodo = new Uint8Array(Math.max(n, this.batchTodo.length * 2));
    const results = this.batchResults;
    const todo = this.batchTodo;
    const statuses = this.batchStatuses;
    for (let i = 0; i < n; i++) {
      todo[i] = this.admit(results[i], packets[i], offsets[i], lengths[i]) === 0 ? 0 : 1;
    }
    this.transform.openMany(packets, offsets, lengths, todo, results, statuses);
    for (let i = 0; i < n; i++) {
      if (todo[i] === 0) continue;
      // A duplicate inside the batch passed the pre-check with its twin: the window, updated in order
      // by `conclude`, catches it now.
      const st = statuses[i];
      if ((st === 'ok' || st === 'bad-padding') && this.replay!.check(results[i].seq) !== 'fresh') {
        this.drop(results[i], 'replay');
      } else {
        this.conclude(results[i], st);
      }
    }
    return results;
  }

  /** The checks before any cryptography (RFC 4303 section 3.4.3). Returns the sequence number, or 0 after
   * recording a drop in `r`. */
  private admit(r: OpenResult, packet: Buffer, offset: number, length: number): number {
    r.sa = this;
    r.length = 0;
    r.nextHeader = 0;
    r.seq = 0;
    if (this.replay === undefined) return this.drop(r, 'wrong-direction');
    if (this.stateValue === 'dead') return this.drop(r, 'expired');
    if (length < ESP_HEADER_SIZE) return this.drop(r, 'truncated');
    const seq = packet.readUInt32BE(offset + 4);
    r.seq = seq;
    // The cheap replay check first, so replayed floods cost no ICV computation.
    if (this.replay.check(seq) !== 'fresh') return this.drop(r, 'replay');
    return seq;
  }

  /** The checks after the transform's verdict. */
  private conclude(r: OpenResult, status: TransformOpenStatus): OpenResult {
    if (status === 'truncated' || status === 'bad-icv') {
      this.drop(r, status);
      return r;
    }
    // The ICV verified: only now may the window move (RFC 4303 section 3.4.3).
    this.replay!.accept(r.seq);
    const nh = r.nextHeader;
    if (status === 'bad-padding') this.drop(r, status);
    else if (nh === NEXT_HEADER_NONE) this.drop(r, 'dummy');
    else if (this.acceptNext[nh] === 0) this.drop(r, 'unexpected-next-header');
    else {
      this.stats.packets++;
      this.stats.bytes += r.length;
      if (this.stats.bytes >= this.softBytes) this.passedLimit(0);
      r.status = 'ok';
    }
    return r;
  }

  /**
   * Marks the SA soft- or hard-expired (the database calls this for time limits; `sealInto`/`openFrom` for
   * bytes and sequence numbers). Idempotent; tells the listener once per limit.
   */
  expire(limit: 'soft' | 'hard', cause: LifetimeCause): void {
    if (limit === 'soft') {
      if (this.stateValue !== 'active') return;
      this.stateValue = 'dying';
    } else {
      if (this.stateValue === 'dead') return;
      this.stateValue = 'dead';
    }
    this.log.debug({ limit, cause, packets: this.stats.packets, bytes: this.stats.bytes }, 'esp sa lifetime');
    this.lifetimeListener?.(this, limit, cause);
  }

  /** Use this IV for the next packet only: reproducing published test vectors, never in production. */
  setNextIvForTest(iv: Uint8Array): void {
    this.transform.setNextIv(iv);
  }

  toJSON(): Record<string, unknown> {
    return {
      spi: this.spi,
      direction: this.direction,
      mode: this.mode,
      peer: this.peer,
      cipher: `${this.cipher.name}-${this.keyBits}`,
      integrity: this.integrity === 'none' ? 'none' : this.integrity.name,
      state: this.stateValue,
      sequence: this.sequence,
      stats: { ...this.stats },
      drops: this.drops.snapshot(),
    };
  }

  private passedLimit(seq: number): void {
    if (this.stats.bytes >= this.hardBytes) this.expire('hard', 'bytes');
    else if (this.stats.bytes >= this.softBytes) this.expire('soft', 'bytes');
    else if (seq >= SEQUENCE_SOFT_LIMIT) this.expire('soft', 'sequence');
  }

  /** Records a drop in `r`; returns 0 (the "no sequence number" of `admit`). */
  private drop(r: OpenResult, reason: EspDropReason): 0 {
    r.status = reason;
    this.note(reason);
    return 0;
  }

  private refuse(reason: EspSealFailure): number {
    this.note(reason);
    return 0;
  }

  private note(reason: EspDropReason | EspSealFailure): void {
    const n = this.drops.count(reason);
    const now = this.clock.now();
    if (now - this.lastLogAt >= LOG_INTERVAL_MS && this.log.isLevelEnabled('debug')) {
      this.lastLogAt = now;
      this.log.debug({ reason, count: n, drops: this.drops.snapshot() }, 'esp drop');
    }
  }
}

/**
 * IKE engine configuration with issue 4's defaults. The PSK is looked up per peer through a function so
 * the server can keep several; RSA signatures (a later issue) will add a credential kind here.
 */
import type { DhGroupId, HashName } from '../crypto/registry.js';
import type { Rng } from '../util/clock.js';
import { systemRng } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import { silentLogger } from '../util/log.js';
import type { CertCredentials } from './auth/credentials.js';
import type { IdPayload } from './codec/identification.js';
import { DEFAULT_ESP_POLICY, type EspPolicy, type EspSuiteChoice } from './esp-policy.js';
import type { Endpoint } from './natt.js';
import { type CipherChoice, type Phase1Policy, phase1ForCredentials } from './policy.js';

/** Returns the PSK for a peer (by address, and by its ID payload once known), or undefined to refuse it. */
export type PskLookup = (peer: Endpoint, id: IdPayload | undefined) => Buffer | undefined;

export interface InitiatorSuite {
  readonly cipher: CipherChoice;
  readonly hash: HashName;
  readonly group: DhGroupId;
}

export interface IkeConfig {
  readonly psk: PskLookup;
  /**
   * Our certificate, key and trusted CAs for RSA signature authentication (RFC 2409 section 5.1). Without
   * them method 3 is never accepted; with them the initiator proposes it.
   */
  readonly certificates?: CertCredentials | undefined;
  readonly phase1: Phase1Policy;
  readonly esp: EspPolicy;
  /** Send a NAT-D for the client that cannot match, so it encapsulates (issue 4; default on). */
  readonly forceEncapsulation: boolean;
  /** Aggressive Mode responder (exposes a PSK hash to offline cracking: off by default). */
  readonly aggressiveMode: boolean;
  readonly halfOpenPerSource: number;
  readonly halfOpenTotal: number;
  readonly halfOpenTimeoutMs: number;
  /** Initiator retransmission: first wait, doubled each time, and the number of sends before giving up. */
  readonly retransmitInitialMs: number;
  readonly retransmitTries: number;
  /** RFC 3706: probe a peer quiet for this long; declare it dead after `dpdTries` unanswered probes. */
  readonly dpdIdleMs: number;
  readonly dpdRetryMs: number;
  readonly dpdTries: number;
  /** RFC 3948 section 2.3: an initiator using UDP encapsulation sends a 0xFF keep-alive this often. */
  readonly natKeepaliveMs: number;
  /** How long a completed Quick Mode is remembered (to answer duplicates). */
  readonly exchangeLingerMs: number;
  /** Initiator proposals. */
  readonly initiatorSuites: readonly InitiatorSuite[];
  readonly initiatorEsp: readonly EspSuiteChoice[];
  readonly initiatorPfsGroup: DhGroupId | undefined;
  readonly initiatorLifetimeSeconds: number;
  readonly initiatorEspLifetimeSeconds: number;
  /** Initiator: send INITIAL-CONTACT in MM5 (RFC 2407 s4.6.3.3); off for a phase-1 rekey. */
  readonly initialContact: boolean;
  /**
   * Initiator phase-1 rekey (RFC 2409 section 5 leaves the timing to policy): a fresh Main Mode starts at
   * `ikeRekeyShare` of the IKE SA's lifetime, minus up to `ikeRekeyJitterShare` of it at random (so many
   * clients do not align), never sooner than `ikeRekeyMinMs` after establishment; a failed attempt is
   * retried after `ikeRekeyRetryMs` (or half the time left), `ikeRekeyTries` attempts in all before the
   * hard expiry. `ikeRekey: false` lets the SA expire as before.
   */
  readonly ikeRekey: boolean;
  readonly ikeRekeyShare: number;
  readonly ikeRekeyJitterShare: number;
  readonly ikeRekeyMinMs: number;
  readonly ikeRekeyRetryMs: number;
  readonly ikeRekeyTries: number;
  /** Initiator: give up a Main Mode not finished after this long. */
  readonly initiatorTimeoutMs: number;
  /** Start Quick Mode as soon as Main Mode completes (initiator). */
  readonly autoQuickMode: boolean;
  /** L2TP's port in Quick Mode IDs (RFC 3193 section 4). */
  readonly l2tpPort: number;
  readonly ikePort: number;
  readonly nattPort: number;
  readonly rng: Rng;
  readonly log: Logger;
}

export type IkeConfigInput = Partial<Omit<IkeConfig, 'psk'>> & { psk: PskLookup | Buffer | string };

/**
 * The system RNG drawn in 4 KiB blocks: a handshake takes some thirty small random values (cookies,
 * nonces, SPIs, message IDs, DH exponents), and one randomBytes call each costs more than the values.
 */
export function pooledRng(source: Rng, blockSize = 4096): Rng {
  let pool: Buffer = Buffer.alloc(0);
  let off = 0;
  return (n) => {
    const len = Math.floor(n);
    if (len > blockSize) return source(len);
    if (off + len > pool.length) {
      pool = source(blockSize);
      off = 0;
    }
    const out = Buffer.from(pool.subarray(off, off + len));
    pool.fill(0, off, off + len); // handed-out secrets do not linger in the pool
    off += len;
    return out;
  };
}

export function resolveConfig(input: IkeConfigInput): IkeConfig {
  const psk = input.psk;
  const lookup: PskLookup =
    typeof psk === 'function' ? psk : constantPsk(typeof psk === 'string' ? Buffer.from(psk) : psk);
  return {
    esp: DEFAULT_ESP_POLICY,
    forceEncapsulation: true,
    aggressiveMode: false,
    halfOpenPerSource: 32,
    halfOpenTotal: 1024,
    halfOpenTimeoutMs: 30_000,
    retransmitInitialMs: 1000,
    retransmitTries: 6,
    dpdIdleMs: 30_000,
    dpdRetryMs: 5_000,
    dpdTries: 5,
    exchangeLingerMs: 60_000,
    natKeepaliveMs: 20_000,
    initiatorSuites: [
      { cipher: { cipher: 'aes-cbc', keyBits: 128 }, hash: 'sha1', group: 19 },
      { cipher: { cipher: 'aes-cbc', keyBits: 256 }, hash: 'sha256', group: 14 },
    ],
    initiatorEsp: [
      { cipher: 'aes-cbc', keyBits: 128, integrity: 'hmac-sha1-96' },
      { cipher: 'aes-cbc', keyBits: 256, integrity: 'hmac-sha256-128' },
    ],
    initiatorPfsGroup: undefined,
    initiatorLifetimeSeconds: 28800,
    initiatorEspLifetimeSeconds: 3600,
    autoQuickMode: true,
    initialContact: true,
    initiatorTimeoutMs: 120_000,
    ikeRekey: true,
    ikeRekeyShare: 0.9,
    ikeRekeyJitterShare: 0.02,
    ikeRekeyMinMs: 10_000,
    ikeRekeyRetryMs: 30_000,
    ikeRekeyTries: 3,
    l2tpPort: 1701,
    ikePort: 500,
    nattPort: 4500,
    rng: pooledRng(systemRng),
    log: silentLogger,
    ...input,
    psk: lookup,
    phase1: phase1ForCredentials(input.phase1, input.certificates !== undefined),
  };
}

/** One key for every peer, converted once (the lookup runs on every Main Mode). */
function constantPsk(key: Buffer): PskLookup {
  return () => key;
}

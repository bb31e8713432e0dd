/**
 * What the IKE engine asks its owner to do (docs/architecture.md: state machines return actions). The
 * owner sends datagrams, installs and deletes ESP SAs, and reacts to IKE SAs coming up or dying.
 */
import type { CipherName, IntegrityName } from '../crypto/registry.js';
import type { Endpoint } from './natt.js';

export type { Endpoint };

export interface SendAction {
  readonly type: 'send';
  readonly to: Endpoint;
  readonly from: Endpoint;
  /** The ISAKMP message without the non-ESP marker, or a one-byte 0xFF NAT keep-alive (RFC 3948 s2.3). */
  readonly data: Buffer;
  /** Port-4500 traffic: the owner prepends the 4-byte non-ESP marker (RFC 3948 section 2.2). */
  readonly nonEspMarker: boolean;
}

export interface EspKeys {
  /** Cipher key (plus the 4-byte salt for AES-GCM, RFC 4106 section 8.1, in `salt`). */
  readonly encryption: Buffer;
  readonly salt: Buffer;
  /** Integrity key; empty for AES-GCM. */
  readonly integrity: Buffer;
}

export interface TrafficSelector {
  readonly address: string;
  readonly protocol: number;
  readonly port: number;
}

/** Everything ESP needs for one SA pair (RFC 2409 section 5.5 KEYMAT, RFC 3948 encapsulation). */
export interface ChildSaParams {
  readonly ikeSaId: string;
  /** SPI we chose: the peer sends with it. */
  readonly spiIn: number;
  /** SPI the peer chose: we send with it. */
  readonly spiOut: number;
  /** RFC 2407 section 4.4.4 ESP transform ID (3, 12, 20). */
  readonly espTransformId: number;
  readonly cipher: CipherName;
  readonly encryptionKeyBits: number;
  /** RFC 2407 section 4.5 authentication algorithm; undefined for AES-GCM. */
  readonly authAlgorithmId: number | undefined;
  readonly integrity: IntegrityName | undefined;
  /** ICV length in bytes (the integrity transform's, or 12 for SHA2-256 under the Android truncation bug). */
  readonly icvBytes: number;
  readonly inbound: EspKeys;
  readonly outbound: EspKeys;
  readonly mode: 'transport' | 'tunnel';
  readonly udpEncapsulation: boolean;
  readonly local: Endpoint;
  readonly peer: Endpoint;
  /** NAT-OA original addresses (RFC 3947 section 5.2), for the transport-mode checksum fix-up. */
  readonly natOaInitiator: string | undefined;
  readonly natOaResponder: string | undefined;
  readonly localSelector: TrafficSelector | undefined;
  readonly remoteSelector: TrafficSelector | undefined;
  readonly lifetimeSeconds: number;
  readonly lifetimeKilobytes: number | undefined;
  readonly role: 'initiator' | 'responder';
}

export interface InstallSaAction {
  readonly type: 'install-sa';
  readonly sa: ChildSaParams;
}

export interface DeleteSaAction {
  readonly type: 'delete-sa';
  readonly ikeSaId: string;
  readonly spiIn: number;
  readonly spiOut: number;
  readonly reason: 'peer-delete' | 'expired' | 'rekeyed' | 'initial-contact' | 'peer-dead' | 'local';
}

export interface IkeSaUpAction {
  readonly type: 'ike-sa-up';
  readonly ikeSaId: string;
  readonly role: 'initiator' | 'responder';
  readonly peer: Endpoint;
  readonly local: Endpoint;
  readonly clientFamily: string;
  /** e.g. "aes256-sha1-ecp384". */
  readonly suite: string;
  readonly natT: boolean;
  readonly peerIdentity: string | undefined;
  /** Initiator phase-1 rekey: the IKE SA this one replaces (not a new connection: no new Quick Mode). */
  readonly rekeyOf?: string;
}

export interface IkeSaDownAction {
  readonly type: 'ike-sa-down';
  readonly ikeSaId: string;
  readonly reason:
    | 'peer-delete'
    | 'expired'
    | 'initial-contact'
    | 'peer-dead'
    | 'local'
    | 'failed'
    /** Replaced by a newer IKE SA after a phase-1 rekey (its ESP SAs live on under the new one). */
    | 'rekeyed';
  /** Notify type, when an exchange failed on one (ours or the peer's). */
  readonly notify?: number;
  /** A phase-1 rekey attempt that failed: the IKE SA it was to replace, which lives on until it expires. */
  readonly rekeyOf?: string;
}

/**
 * An IKE SA went away after a phase-1 rekey and a newer one to the same peer took over its ESP SAs
 * (emitted before that SA's `ike-sa-down`): DPD, deletes and Quick Mode rekeys of them now run on `toIkeSaId`.
 */
export interface ChildrenAdoptedAction {
  readonly type: 'children-adopted';
  readonly fromIkeSaId: string;
  readonly toIkeSaId: string;
  readonly spisIn: readonly number[];
}

/** An initiator's Quick Mode ended without an SA: refused by the peer (its notify) or unanswered. */
export interface ChildSaFailedAction {
  readonly type: 'child-sa-failed';
  readonly ikeSaId: string;
  readonly notify?: number;
}

export interface PeerDeadAction {
  readonly type: 'peer-dead';
  readonly ikeSaId: string;
  readonly peer: Endpoint;
}

export type IkeAction =
  | SendAction
  | InstallSaAction
  | DeleteSaAction
  | IkeSaUpAction
  | IkeSaDownAction
  | ChildrenAdoptedAction
  | ChildSaFailedAction
  | PeerDeadAction;

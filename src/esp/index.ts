/** The ESP layer's public surface (RFC 4303 SAs, RFC 3948 framing, the SA database). */
export { CbcHmacTransform } from './cbc-hmac.js';
export { GcmTransform } from './gcm.js';
export { type EspKeys, keymatLength, splitKeymat } from './keymat.js';
export { type EspLifetime, type EspSaState, type LifetimeCause, SEQUENCE_SOFT_LIMIT } from './lifetime.js';
export {
  adjustChecksumForAddresses,
  type ChecksumFix,
  fixTransportChecksum,
  ipv4Bytes,
  type NatOriginalAddresses,
  transportChecksum,
} from './nat-checksum.js';
export { DEFAULT_REPLAY_WINDOW, ReplayWindow } from './replay-window.js';
export { type EspDropReason, type EspSealFailure, OpenResult, type OpenStatus } from './result.js';
export {
  EspConfigError,
  type EspDirection,
  type EspMode,
  type EspPeer,
  EspSa,
  type EspSaConfig,
  type EspSaStats,
  NEXT_HEADER_IPV4,
  NEXT_HEADER_NONE,
  NEXT_HEADER_UDP,
} from './sa.js';
export { peerKey, SaDatabase, type SaDatabaseDrop, type SaEvent } from './sa-database.js';
export { ESP_HEADER_SIZE, MAX_ESP_PAYLOAD } from './transform.js';
export {
  classifyEncapsulated,
  decodeNonEspMarked,
  type EncapsulatedKind,
  encodeNatKeepalive,
  encodeNonEspMarked,
  NAT_KEEPALIVE_BYTE,
  NAT_T_PORT,
  NON_ESP_MARKER_SIZE,
} from './udp-encap.js';

/**
 * NAT traversal in IKE (RFC 3947): the NAT-D hash of an address and port (section 3.2), and the checks
 * that tell each side whether a NAT sits in front of it. l2tpsec's responder forces UDP encapsulation by
 * sending a NAT-D for the client that cannot match (issue 4; SoftEther's approach), and echoes Windows' own
 * hash of the server's address so Windows does not think the server is behind NAT (error 809).
 */
import { hash } from '../crypto/hash.js';
import type { HashName } from '../crypto/registry.js';
import { addressBytesShared } from './codec/identification.js';

export const IKE_PORT = 500;
export const NATT_PORT = 4500;
/** RFC 3948 section 2.2: four zero bytes ahead of IKE on port 4500. */
export const NON_ESP_MARKER = Buffer.alloc(4);

export interface Endpoint {
  readonly address: string;
  readonly port: number;
}

/** HASH(CKY-I | CKY-R | IP | Port), RFC 3947 section 3.2, with the negotiated hash. */
export function natDHash(alg: HashName, ckyI: Buffer, ckyR: Buffer, ep: Endpoint): Buffer {
  const port = Buffer.allocUnsafe(2);
  port.writeUInt16BE(ep.port);
  return hash(alg, ckyI, ckyR, addressBytesShared(ep.address), port);
}

export interface NatDetection {
  /** The sender of the NAT-D payloads saw a different address for us than we have: we are behind NAT. */
  readonly localBehindNat: boolean;
  /** None of the sender's own hashes matches the address we received from: it is behind NAT. */
  readonly peerBehindNat: boolean;
}

/**
 * RFC 3947 section 3.2: the first NAT-D is the receiver's address as the sender saw it, the rest are the
 * sender's own candidate addresses.
 */
export function detectNat(
  alg: HashName,
  ckyI: Buffer,
  ckyR: Buffer,
  natD: readonly Buffer[],
  local: Endpoint,
  peer: Endpoint,
): NatDetection {
  if (natD.length < 2) return { localBehindNat: false, peerBehindNat: false };
  return natDetection(natD, natDHash(alg, ckyI, ckyR, local), natDHash(alg, ckyI, ckyR, peer));
}

/**
 * detectNat with the two hashes already computed (a responder sends the same hashes back in MM4):
 * `mine` of our own address and port, `theirs` of the peer's as we see it.
 */
export function natDetection(natD: readonly Buffer[], mine: Buffer, theirs: Buffer): NatDetection {
  if (natD.length < 2) return { localBehindNat: false, peerBehindNat: false };
  let peerBehindNat = true;
  for (let i = 1; i < natD.length; i++) if (natD[i].equals(theirs)) peerBehindNat = false;
  return { localBehindNat: !natD[0].equals(mine), peerBehindNat };
}

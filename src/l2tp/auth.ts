/**
 * Tunnel authentication (RFC 2661 section 5.1.1, AVPs in section 4.4.3): the Challenge Response is
 * MD5(ID ‖ secret ‖ challenge), CHAP-style (RFC 1994), where the one-octet ID is the type of the message
 * carrying the response: 2 (SCCRP) or 3 (SCCCN).
 */
import { timingSafeEqual } from 'node:crypto';
import { hash } from '../crypto/hash.js';

export function challengeResponse(messageType: number, secret: Uint8Array, challenge: Uint8Array): Buffer {
  return hash('md5', Uint8Array.of(messageType), secret, challenge);
}

export function checkChallengeResponse(
  messageType: number,
  secret: Uint8Array,
  challenge: Uint8Array,
  response: Uint8Array | undefined,
): boolean {
  if (response?.length !== 16) return false;
  return timingSafeEqual(challengeResponse(messageType, secret, challenge), response);
}

/**
 * UDP encapsulation of ESP (RFC 3948), the framing half: what arrives on UDP port 4500 is IKE behind a
 * four-zero-byte non-ESP marker (section 2.2), a NAT keep-alive of one 0xFF byte (section 2.3), or an ESP
 * packet starting at its SPI (section 2.1: an SPI is never 0, which is what makes the marker unambiguous).
 * Pure functions on bytes; the socket belongs to src/net.
 */

export const NAT_T_PORT = 4500;
export const NON_ESP_MARKER_SIZE = 4;

/** RFC 3948 section 2.3: the whole keep-alive payload. */
export const NAT_KEEPALIVE_BYTE = 0xff;

export type EncapsulatedKind = 'ike' | 'esp' | 'keepalive' | 'invalid';

/**
 * Classifies a UDP 4500 payload `buf[offset, offset+length)`. 'ike' means the IKE message starts at
 * `offset + 4`; 'esp' that the ESP packet starts at `offset`. 'invalid' covers anything too short to be
 * either (RFC 3948 section 4: such packets are dropped).
 */
export function classifyEncapsulated(buf: Uint8Array, offset: number, length: number): EncapsulatedKind {
  if (length === 1) return buf[offset] === NAT_KEEPALIVE_BYTE ? 'keepalive' : 'invalid';
  if (length < NON_ESP_MARKER_SIZE) return 'invalid';
  const marker = buf[offset] | buf[offset + 1] | buf[offset + 2] | buf[offset + 3];
  if (marker === 0) {
    // An IKE header is 28 bytes (RFC 2408 section 3.1); anything shorter behind the marker is not IKE.
    return length >= NON_ESP_MARKER_SIZE + 28 ? 'ike' : 'invalid';
  }
  // SPI + sequence number at least (RFC 4303 section 2); the SA checks the rest.
  return length >= 8 ? 'esp' : 'invalid';
}

/** The NAT keep-alive datagram payload (RFC 3948 section 2.3). */
export function encodeNatKeepalive(): Buffer {
  return Buffer.from([NAT_KEEPALIVE_BYTE]);
}

/** Prefixes an IKE message with the non-ESP marker for sending on port 4500 (RFC 3948 section 2.2). */
export function encodeNonEspMarked(ikeMessage: Uint8Array): Buffer {
  const out = Buffer.alloc(NON_ESP_MARKER_SIZE + ikeMessage.length);
  out.set(ikeMessage, NON_ESP_MARKER_SIZE);
  return out;
}

/** The IKE message behind the marker, as a view; throws RangeError if the payload is not marked IKE. */
export function decodeNonEspMarked(payload: Buffer): Buffer {
  if (classifyEncapsulated(payload, 0, payload.length) !== 'ike') {
    throw new RangeError('not a non-ESP-marked IKE message');
  }
  return payload.subarray(NON_ESP_MARKER_SIZE);
}

/**
 * The edges of one VPN endpoint, as tiny interfaces (wireguard-go's conn/tun split): the outer datagram
 * transport (UDP 500/4500, raw ESP) and the inner packet device (TUN). The endpoint never opens sockets or
 * devices itself, so a test runs a whole client/server pair in one process over in-memory links.
 */

/** An outer address: IPv4 text and UDP port; port 0 means raw ESP (IP protocol 50). */
export interface OuterAddress {
  readonly address: string;
  readonly port: number;
}

export interface OuterTransport {
  /**
   * Sends `buf[offset, offset+length)` from `local` to `remote`. The bytes may be reused as soon as this
   * returns (implementations copy or send synchronously).
   */
  send(local: OuterAddress, remote: OuterAddress, buf: Buffer, offset: number, length: number): void;
}

export interface InnerDevice {
  /** Writes one IPv4 packet towards the local host; false when it was dropped. */
  write(buf: Uint8Array, offset: number, length: number): boolean;
}

export function outerKey(a: OuterAddress): string {
  return `${a.address}:${a.port}`;
}

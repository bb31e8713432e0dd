/**
 * What the endpoint knows about one outer peer (one IPsec peer: address and, behind NAT, port): where its
 * ESP goes, from which of our addresses, and the UDP port its L2TP speaks from inside the SA (RFC 3193
 * section 4: normally 1701, but a LAC may use another). Several clients behind one NAT are several peers.
 */
import type { EspSa } from '../esp/sa.js';
import type { OuterAddress } from './links.js';

export const L2TP_PORT = 1701;

export class PeerLink {
  /** The peer's L2TP source port inside ESP; replies go there. */
  l2tpPort = L2TP_PORT;
  ikeSaId = '';
  /** The newest ESP SA pair with this peer (for status). */
  spiIn = 0;
  spiOut = 0;
  clientFamily = 'unknown';
  /** Last time inbound ESP was reported to IKE for DPD (at most once a second). */
  lastLivenessNote = Number.NEGATIVE_INFINITY;
  /**
   * The send path's cached outbound SA (the SAD's newest for this peer), so a packet costs no key string.
   * The endpoint clears it whenever it installs or removes an SA; a hard-expired SA is 'dead' and re-looked up.
   */
  outboundSa: EspSa | undefined;
  /** TEST ONLY: L2TP on plain UDP, without ESP (RFC 3193 forbids it; see `allowPlainL2tp`). */
  plain = false;

  constructor(
    /** Key in the peer table, and the L2TP endpoint's name for this peer. */
    readonly key: string,
    /** Where ESP goes: UDP-encapsulated (port 4500 or the NAT's) or raw (port 0). */
    public remote: OuterAddress,
    /** Our address and port the peer talks to. */
    public local: OuterAddress,
  ) {}
}

export function peerLinkKey(address: string, port: number | undefined): string {
  return `${address}:${port ?? 0}`;
}

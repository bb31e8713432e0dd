/**
 * From what Quick Mode negotiated (RFC 2409 section 5.5: KEYMAT for each direction) to the pair of ESP SAs
 * that carry it (RFC 4303): one inbound SA under the SPI we chose, one outbound under the peer's.
 */
import { CIPHERS, INTEGRITY } from '../crypto/registry.js';
import { EspSa } from '../esp/sa.js';
import type { ChildSaParams, EspKeys } from '../ike/actions.js';
import type { Clock, Rng } from '../util/clock.js';
import type { Logger } from '../util/log.js';

/** The soft lifetime (rekey point, RFC 4301 section 4.4.2.1) as a share of the negotiated hard one. */
const SOFT_LIFETIME_SHARE = 0.9;

export interface ChildSaDeps {
  readonly clock: Clock;
  readonly rng: Rng;
  readonly log: Logger;
}

/** Builds both SAs; throws EspConfigError when the parameters are unusable (IKE should never do that). */
export function espSaPair(p: ChildSaParams, deps: ChildSaDeps): { inbound: EspSa; outbound: EspSa } {
  const cipher = CIPHERS[p.cipher];
  const integrity = p.integrity === undefined ? 'none' : INTEGRITY[p.integrity];
  const common = {
    mode: p.mode,
    cipher,
    keyBits: p.encryptionKeyBits,
    integrity,
    // Android 6/7's "sha2 truncbug": Quick Mode agreed a 96-bit ICV for HMAC-SHA2-256.
    sha2TruncBug: integrity !== 'none' && p.icvBytes < integrity.icvSize,
    peer: { address: p.peer.address, port: p.udpEncapsulation ? p.peer.port : undefined },
    owner: p.ikeSaId,
    lifetime: {
      hardSeconds: p.lifetimeSeconds,
      softSeconds: Math.floor(p.lifetimeSeconds * SOFT_LIFETIME_SHARE),
    },
    clock: deps.clock,
    rng: deps.rng,
    logger: deps.log,
  } as const;
  // RFC 4106 section 8.1: an AES-GCM SA takes the 4-byte salt right after the key.
  const keyOf = (k: EspKeys) =>
    cipher.kind === 'aead' ? Buffer.concat([k.encryption, k.salt]) : k.encryption;
  return {
    inbound: new EspSa({
      ...common,
      spi: p.spiIn,
      direction: 'inbound',
      encryptionKey: keyOf(p.inbound),
      integrityKey: p.inbound.integrity,
    }),
    outbound: new EspSa({
      ...common,
      spi: p.spiOut,
      direction: 'outbound',
      encryptionKey: keyOf(p.outbound),
      integrityKey: p.outbound.integrity,
    }),
  };
}

/**
 * ECDH for the ECP groups 19, 20, 21 (RFC 5903) through the system's libcrypto.so.3, reached by the native
 * addon (native/l2tpsec_ecdh.cc). Node 20's bundled OpenSSL is 2–3× slower at the variable-base scalar
 * multiplication than Debian's shared libcrypto of the same version (and ~10× for P-521, which Node builds
 * without the 64-bit nistp521 code), and ECDH is about a third of an IKE handshake's CPU.
 *
 * Optional by design: when the addon is not built, predates these functions, or the system has no
 * libcrypto.so.3, `nativeEcdh()` returns undefined and backend-node.ts keeps using node:crypto.
 *
 * `L2TPSEC_NATIVE_ECDH=0` in the environment disables it (A/B measurement; escape hatch). The variable is
 * read once, at the first call.
 */
import { loadNative, type NativeAddon } from '../net/native.js';
import type { EcpGroupId, EcpKeyPair } from './backend.js';
import { CryptoError } from './errors.js';

export interface NativeEcdh {
  /** x ‖ y of privateKey·G (RFC 5903 section 7). privateKey must be in [1, n-1] (RangeError otherwise). */
  publicValue(group: EcpGroupId, privateKey: Uint8Array): Buffer;
  /**
   * The x coordinate of privateKey·peer, the field length (RFC 5903 section 9); undefined when `peerXY` is
   * not exactly two field lengths, a coordinate is >= p, or the point is not on the curve.
   */
  secret(group: EcpGroupId, privateKey: Uint8Array, peerXY: Uint8Array): Buffer | undefined;
}

/** The environment switch: "0" (or "false", "off", "no") turns the native path off. */
export function nativeEcdhDisabledByEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env.L2TPSEC_NATIVE_ECDH?.trim().toLowerCase();
  return v === '0' || v === 'false' || v === 'off' || v === 'no';
}

let resolved = false;
let instance: NativeEcdh | undefined;
let unavailableReason: string | undefined;

function fromAddon(addon: NativeAddon): NativeEcdh | undefined {
  // An addon built before native/l2tpsec_ecdh.cc existed has no such function.
  if (typeof addon.ecdhAvailable !== 'function') {
    unavailableReason = 'the native addon predates ecdh (rebuild: node native/build.mjs)';
    return undefined;
  }
  if (!addon.ecdhAvailable()) {
    unavailableReason = 'libcrypto.so.3 or one of its EC functions could not be loaded';
    return undefined;
  }
  return {
    publicValue: (group, privateKey) => addon.ecdhPublic(group, privateKey),
    secret: (group, privateKey, peerXY) => addon.ecdhSecret(group, privateKey, peerXY),
  };
}

/** The system-libcrypto ECDH, or undefined when unavailable or disabled. Loads the addon on first call. */
export function nativeEcdh(): NativeEcdh | undefined {
  if (resolved) return instance;
  resolved = true;
  if (nativeEcdhDisabledByEnv()) {
    unavailableReason = 'disabled by L2TPSEC_NATIVE_ECDH';
    return undefined;
  }
  try {
    instance = fromAddon(loadNative());
  } catch (err) {
    // NativeAddonMissingError (not built), or a build this Node cannot load: ECDH is an optimisation, so
    // any failure to load falls back to node:crypto rather than taking IKE down with it.
    unavailableReason = (err as Error).message;
    instance = undefined;
  }
  return instance;
}

/** Why `nativeEcdh()` returned undefined (after a call), for logs and test skip messages. */
export function nativeEcdhUnavailableReason(): string | undefined {
  return unavailableReason;
}

/**
 * The shared secret, or CryptoError('dh-public-value') when the native code refused the peer point (wrong
 * length, a coordinate >= p, or off the curve: RFC 5903 section 7).
 */
export function nativeEcpSecret(
  native: NativeEcdh,
  group: EcpGroupId,
  privateKey: Uint8Array,
  peerXY: Uint8Array,
): Buffer {
  const s = native.secret(group, privateKey, peerXY);
  if (s === undefined) {
    throw new CryptoError('dh-public-value', `group ${group} public value is not a point on the curve`);
  }
  return s;
}

/**
 * An ECP key pair on the native path: the public point is derived once; the secret validates the peer point
 * itself (the native code decodes it with EC_POINT_oct2point and checks it is on the curve).
 */
export class NativeEcpKeyPair implements EcpKeyPair {
  readonly checksPeerPoint = true;
  readonly publicValue: Buffer;
  /** A private copy: the caller's buffer may be reused or wiped after the key pair is made. */
  private readonly privateKey: Buffer;

  constructor(
    private readonly native: NativeEcdh,
    private readonly group: EcpGroupId,
    privateKey: Uint8Array,
  ) {
    this.privateKey = Buffer.from(privateKey);
    this.publicValue = native.publicValue(group, this.privateKey);
  }

  secret(peerPublic: Uint8Array): Buffer {
    return nativeEcpSecret(this.native, this.group, this.privateKey, peerPublic);
  }
}

/** The ESP suites the tests run through, with deterministic keys (test helper, not a test file). */
import { createHash } from 'node:crypto';
import type { NaiveSa } from '../../bench/esp-reference.js';
import { CIPHERS, type CipherSpec, INTEGRITY, type IntegritySpec } from '../../src/crypto/registry.js';
import { EspSa, type EspSaConfig } from '../../src/esp/sa.js';

export interface TestSuite {
  readonly name: string;
  readonly cipher: CipherSpec;
  readonly keyBits: number;
  readonly integrity: IntegritySpec | 'none';
}

const cbcSuites: TestSuite[] = [];
for (const keyBits of [128, 192, 256]) {
  for (const integrity of Object.values(INTEGRITY)) {
    cbcSuites.push({
      name: `aes${keyBits}-${integrity.name}`,
      cipher: CIPHERS['aes-cbc'],
      keyBits,
      integrity,
    });
  }
}
for (const integrity of Object.values(INTEGRITY)) {
  cbcSuites.push({ name: `3des-${integrity.name}`, cipher: CIPHERS['3des-cbc'], keyBits: 192, integrity });
}

/** Every cipher x integrity combination IKE can negotiate, plus AES-GCM-16 at each key size. */
export const SUITES: readonly TestSuite[] = [
  ...cbcSuites,
  ...[128, 192, 256].map((keyBits) => ({
    name: `aes${keyBits}-gcm16`,
    cipher: CIPHERS['aes-gcm-16'],
    keyBits,
    integrity: 'none' as const,
  })),
];

/** Deterministic bytes: SHA-256 in counter mode over a label. */
export function bytes(label: string, n: number): Buffer {
  const out = Buffer.alloc(n);
  for (let i = 0, off = 0; off < n; i++) {
    off += createHash('sha256').update(`${label}/${i}`).digest().copy(out, off);
  }
  return out;
}

export function keysFor(suite: TestSuite, spi: number, sha2TruncBug = false): NaiveSa {
  const integrity = suite.integrity;
  return {
    spi,
    cipher: suite.cipher,
    keyBits: suite.keyBits,
    encryptionKey: bytes(`enc-${suite.name}-${spi}`, suite.keyBits / 8 + suite.cipher.saltSize),
    integrity,
    integrityKey:
      integrity === 'none' ? Buffer.alloc(0) : bytes(`int-${suite.name}-${spi}`, integrity.keySize),
    icvSize: integrity === 'none' ? 16 : sha2TruncBug ? 12 : integrity.icvSize,
  };
}

export function saPair(
  keys: NaiveSa,
  extra: Partial<EspSaConfig> = {},
): { readonly outbound: EspSa; readonly inbound: EspSa } {
  const base: EspSaConfig = {
    spi: keys.spi,
    direction: 'outbound',
    mode: 'transport',
    cipher: keys.cipher,
    keyBits: keys.keyBits,
    encryptionKey: keys.encryptionKey,
    integrity: keys.integrity,
    integrityKey: keys.integrityKey,
    peer: { address: '192.0.2.10', port: 4500 },
    ...extra,
  };
  return { outbound: new EspSa(base), inbound: new EspSa({ ...base, direction: 'inbound' }) };
}

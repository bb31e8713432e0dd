/**
 * The MODP primes are recomputed from their definition rather than compared with another copy of the
 * hex: RFC 2409 sections 6.1-6.2 and RFC 3526 sections 2-7 define p = 2^n - 2^(n-64) - 1 +
 * 2^64 * (floor(2^(n-130) * pi) + k), with k printed in each section.
 */
import { getDiffieHellman } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MODP_GENERATOR, type ModpGroupId, modpPrime } from '../../src/crypto/modp-groups.js';
import { DH_GROUPS } from '../../src/crypto/registry.js';

/** floor(pi * 2^bits), by Machin's formula in fixed point with guard bits. */
function piScaled(bits: number): bigint {
  const guard = 64n;
  const one = 1n << (BigInt(bits) + guard);
  const atanInv = (x: bigint): bigint => {
    let sum = 0n;
    let term = one / x;
    const x2 = x * x;
    for (let k = 0n; term !== 0n; k++) {
      sum += (k % 2n === 0n ? 1n : -1n) * (term / (2n * k + 1n));
      term /= x2;
    }
    return sum;
  };
  return (16n * atanInv(5n) - 4n * atanInv(239n)) >> guard;
}

const DEFINITIONS: readonly { id: ModpGroupId; n: number; k: bigint; source: string }[] = [
  { id: 1, n: 768, k: 149686n, source: 'RFC 2409 section 6.1' },
  { id: 2, n: 1024, k: 129093n, source: 'RFC 2409 section 6.2' },
  { id: 5, n: 1536, k: 741804n, source: 'RFC 3526 section 2' },
  { id: 14, n: 2048, k: 124476n, source: 'RFC 3526 section 3' },
  { id: 15, n: 3072, k: 1690314n, source: 'RFC 3526 section 4' },
  { id: 16, n: 4096, k: 240904n, source: 'RFC 3526 section 5' },
  { id: 17, n: 6144, k: 929484n, source: 'RFC 3526 section 6' },
  { id: 18, n: 8192, k: 4743158n, source: 'RFC 3526 section 7' },
];

describe('MODP groups', () => {
  const pi = piScaled(8192 - 130);

  it.each(DEFINITIONS)('group $id is the prime of $source', ({ id, n, k }) => {
    const N = BigInt(n);
    const floorPi = pi >> BigInt(8192 - n);
    const p = (1n << N) - (1n << (N - 64n)) - 1n + (1n << 64n) * (floorPi + k);
    expect(modpPrime(id).value).toBe(p);
    expect(modpPrime(id).bytes.length).toBe(n / 8);
    expect(DH_GROUPS[id].publicSize).toBe(n / 8);
  });

  it('agrees with the copies OpenSSL carries (getDiffieHellman modp*)', () => {
    for (const { id } of DEFINITIONS) {
      const g = getDiffieHellman(`modp${id}`);
      expect(g.getPrime().equals(modpPrime(id).bytes)).toBe(true);
      expect(g.getGenerator()[0]).toBe(MODP_GENERATOR);
    }
  });
});

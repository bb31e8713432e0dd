import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type HashName, INTEGRITY } from '../../src/crypto/registry.js';
import { IcvHmac, icvMatches } from '../../src/esp/icv-hmac.js';

interface HmacCase {
  source: string;
  hash: HashName;
  key: string;
  data: string;
  mac: string;
}

const cases = (
  JSON.parse(readFileSync(new URL('../../vectors/crypto-hmac.json', import.meta.url), 'utf8')) as {
    cases: HmacCase[];
  }
).cases;

describe("IcvHmac: ESP's hot-path HMAC against RFC 2202 / RFC 4231 vectors", () => {
  const specFor = (hash: HashName) => Object.values(INTEGRITY).find((i) => i.hash === hash)!;

  it.each(cases.map((c) => [c.source, c] as const))('%s', (_source, c) => {
    const icv = new IcvHmac(specFor(c.hash), Buffer.from(c.key, 'hex'));
    const data = Buffer.from(c.data, 'hex');
    // The caller's layout: ipad block, then the message, at the start of a larger reused buffer.
    const buf = Buffer.alloc(icv.blockSize + data.length + 40, 0xee);
    icv.ipadBlock.copy(buf, 0);
    data.copy(buf, icv.blockSize);
    const mac = icv.macOfPrefixed(buf, icv.blockSize + data.length);
    // Vectors may list a truncated MAC (RFC 4231 test case 5): compare the published prefix.
    expect(
      Buffer.from(mac, 'latin1')
        .subarray(0, c.mac.length / 2)
        .toString('hex'),
    ).toBe(c.mac);
    expect(icvMatches(mac, Buffer.from(c.mac, 'hex'), 0, c.mac.length / 2)).toBe(true);
    const wrong = Buffer.from(c.mac, 'hex');
    wrong[wrong.length - 1] ^= 1;
    expect(icvMatches(mac, wrong, 0, wrong.length)).toBe(false);
  });
});

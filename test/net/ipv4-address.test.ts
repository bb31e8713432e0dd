/**
 * IPv4 text ⇄ host-order integer (RFC 791 section 3.1 dotted quad), CIDR parsing and containment.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cidrContains,
  intToIpv4,
  ipv4ToInt,
  isIpv4,
  parseCidr,
  prefixMask,
  readIpv4,
} from '../../src/net/ipv4-address.js';

describe('IPv4 addresses', () => {
  it('converts both ways, byte-exact with the wire order', () => {
    expect(ipv4ToInt('192.168.42.1')).toBe(0xc0a82a01);
    expect(ipv4ToInt('255.255.255.255')).toBe(0xffffffff);
    expect(intToIpv4(0x0a000001)).toBe('10.0.0.1');
    expect(readIpv4(Buffer.from([0, 198, 18, 0, 1]), 1)).toBe(ipv4ToInt('198.18.0.1'));
    fc.assert(fc.property(fc.ipV4(), (a) => intToIpv4(ipv4ToInt(a)) === a));
    fc.assert(fc.property(fc.nat(0xffffffff), (v) => ipv4ToInt(intToIpv4(v)) === v));
  });

  it('rejects what is not a dotted quad', () => {
    for (const bad of [
      '',
      '1.2.3',
      '1.2.3.4.5',
      '256.1.1.1',
      '1.2.3.-4',
      '1.2.3.4 ',
      'a.b.c.d',
      '1..2.3',
      '0x1.2.3.4',
    ]) {
      expect(isIpv4(bad), bad).toBe(false);
      expect(() => ipv4ToInt(bad), bad).toThrow(RangeError);
    }
  });

  it('parses CIDR blocks, strictly or loosely, and tests containment', () => {
    expect(parseCidr('192.168.42.0/24')).toEqual({ network: 0xc0a82a00, prefixLength: 24 });
    expect(() => parseCidr('192.168.42.1/24')).toThrow(/host bits/);
    expect(parseCidr('192.168.42.1/24', true).network).toBe(0xc0a82a00);
    expect(parseCidr('0.0.0.0/0')).toEqual({ network: 0, prefixLength: 0 });
    expect(() => parseCidr('10.0.0.0/33')).toThrow(RangeError);
    expect(prefixMask(0)).toBe(0);
    expect(prefixMask(32)).toBe(0xffffffff);
    const net = parseCidr('10.99.0.0/16');
    expect(cidrContains(net, ipv4ToInt('10.99.255.255'))).toBe(true);
    expect(cidrContains(net, ipv4ToInt('10.100.0.0'))).toBe(false);
  });
});

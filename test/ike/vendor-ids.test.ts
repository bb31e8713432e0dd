import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { clientFamily, recogniseVendorIds, VendorId } from '../../src/ike/vendor-ids.js';

const md5 = (s: string) => createHash('md5').update(s).digest();

describe('vendor IDs (RFC 3947 s3.1, RFC 3706 s7, vendor strings)', () => {
  it('the MD5-derived IDs are the MD5 of their strings', () => {
    expect(VendorId.natTRfc3947).toEqual(md5('RFC 3947'));
    expect(VendorId.natTDraft02).toEqual(md5('draft-ietf-ipsec-nat-t-ike-02'));
    expect(VendorId.natTDraft02n).toEqual(md5('draft-ietf-ipsec-nat-t-ike-02\n'));
    expect(VendorId.natTDraft03).toEqual(md5('draft-ietf-ipsec-nat-t-ike-03'));
    expect(VendorId.msNt5).toEqual(md5('MS NT5 ISAKMPOAKLEY'));
    expect(VendorId.fragmentation).toEqual(md5('FRAGMENTATION'));
    expect(VendorId.xauth).toEqual(md5('draft-ietf-ipsra-isakmp-xauth-06.txt').subarray(0, 8));
    expect(VendorId.ciscoUnity.subarray(0, 14)).toEqual(md5('CISCO-UNITY').subarray(0, 14));
    expect(VendorId.msInitialContact).toEqual(md5('Vid-Initial-Contact'));
  });

  it("Windows 10/11's list: NAT-T RFC, MS NT5 with a version, no DPD, Vid-Initial-Contact", () => {
    const info = recogniseVendorIds([
      Buffer.concat([VendorId.msNt5, Buffer.from('00000009', 'hex')]),
      VendorId.natTRfc3947,
      VendorId.natTDraft02n,
      VendorId.fragmentation,
      VendorId.msNegotiationDiscovery,
      VendorId.msIkeCga,
      VendorId.msInitialContact,
    ]);
    expect(info).toMatchObject({
      natT: 'rfc3947',
      windows: true,
      dpd: false,
      fragmentation: true,
      initialContact: true,
    });
    expect(clientFamily(info)).toBe('windows');
  });

  it("strongSwan 5.9's list: XAUTH, DPD, FRAGMENTATION, RFC 3947, draft-02\\n", () => {
    const info = recogniseVendorIds([
      VendorId.xauth,
      VendorId.dpd,
      VendorId.fragmentation,
      VendorId.natTRfc3947,
      VendorId.natTDraft02n,
    ]);
    expect(info).toMatchObject({ natT: 'rfc3947', dpd: true, xauth: true, windows: false });
    expect(clientFamily(info)).toBe('strongswan');
  });

  it('draft-only NAT-T peers are recognised as draft', () => {
    expect(recogniseVendorIds([VendorId.natTDraft02, VendorId.dpd]).natT).toBe('draft');
    expect(recogniseVendorIds([VendorId.dpd]).natT).toBeUndefined();
  });
});

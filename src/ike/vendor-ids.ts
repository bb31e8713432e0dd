/**
 * Vendor ID payloads (RFC 2408 section 3.16) that l2tpsec sends and recognises. Most are the MD5 of a
 * string; DPD (RFC 3706 section 7), Cisco Unity and XAUTH are fixed bytes with a version or truncation.
 * Recognition is by prefix where the sender appends version bytes (MS NT5 ISAKMPOAKLEY, FRAGMENTATION).
 */

const hex = (s: string): Buffer => Buffer.from(s, 'hex');

export const VendorId = {
  /** MD5("RFC 3947"). */
  natTRfc3947: hex('4a131c81070358455c5728f20e95452f'),
  /** MD5("draft-ietf-ipsec-nat-t-ike-02"). */
  natTDraft02: hex('cd60464335df21f87cfdb2fc68b6a448'),
  /** MD5("draft-ietf-ipsec-nat-t-ike-02\n"): the misspelt variant Windows and strongSwan send. */
  natTDraft02n: hex('90cb80913ebb696e086381b5ec427b1f'),
  /** MD5("draft-ietf-ipsec-nat-t-ike-03"). */
  natTDraft03: hex('7d9419a65310ca6f2c179d9215529d56'),
  /** RFC 3706 section 7: DPD, version 1.0. */
  dpd: hex('afcad71368a1f1c96b8696fc77570100'),
  /** MD5("FRAGMENTATION"); Cisco-style senders append 4 capability bytes. */
  fragmentation: hex('4048b7d56ebce88525e7de7f00d6c2d3'),
  /** MD5("MS NT5 ISAKMPOAKLEY"); Windows appends a 4-byte version. */
  msNt5: hex('1e2b516905991c7d7c96fcbfb587e461'),
  /** First 8 bytes of MD5("draft-ietf-ipsra-isakmp-xauth-06.txt"). */
  xauth: hex('09002689dfd6b712'),
  /** MD5("CISCO-UNITY") with the last two bytes replaced by version 1.0. */
  ciscoUnity: hex('12f5f28c457168a9702d9fe274cc0100'),
  /** MD5("MS-Negotiation Discovery Capable"). */
  msNegotiationDiscovery: hex('fb1de3cdf341b7ea16b7e5be0855f120'),
  /** MD5("IKE CGA version 1"). */
  msIkeCga: hex('e3a5966a76379fe707228231e5ce8652'),
  /** MD5("Vid-Initial-Contact"), Windows' announcement of a first contact. */
  msInitialContact: hex('26244d38eddb61b3172a36e3d0cfb819'),
  /** MD5("strongSwan"). */
  strongSwan: hex('882fe56d6fd20dbc2251613b2ebe5beb'),
} as const;

export type NatTVersion = 'rfc3947' | 'draft';

export interface PeerVendorInfo {
  natT: NatTVersion | undefined;
  dpd: boolean;
  fragmentation: boolean;
  windows: boolean;
  xauth: boolean;
  ciscoUnity: boolean;
  strongSwan: boolean;
  /** Windows' Vid-Initial-Contact. */
  initialContact: boolean;
}

function startsWith(data: Buffer, prefix: Buffer): boolean {
  return data.length >= prefix.length && data.subarray(0, prefix.length).equals(prefix);
}

export function recogniseVendorIds(vids: readonly Buffer[]): PeerVendorInfo {
  const info: PeerVendorInfo = {
    natT: undefined,
    dpd: false,
    fragmentation: false,
    windows: false,
    xauth: false,
    ciscoUnity: false,
    strongSwan: false,
    initialContact: false,
  };
  for (const v of vids) {
    if (v.equals(VendorId.natTRfc3947)) info.natT = 'rfc3947';
    else if (
      (v.equals(VendorId.natTDraft02) || v.equals(VendorId.natTDraft02n) || v.equals(VendorId.natTDraft03)) &&
      info.natT === undefined
    ) {
      info.natT = 'draft';
    } else if (v.equals(VendorId.dpd)) info.dpd = true;
    else if (startsWith(v, VendorId.fragmentation)) info.fragmentation = true;
    else if (startsWith(v, VendorId.msNt5)) info.windows = true;
    else if (v.equals(VendorId.xauth)) info.xauth = true;
    else if (startsWith(v, VendorId.ciscoUnity.subarray(0, 14))) info.ciscoUnity = true;
    else if (v.equals(VendorId.strongSwan)) info.strongSwan = true;
    else if (v.equals(VendorId.msInitialContact)) info.initialContact = true;
  }
  return info;
}

/** A name for logs (issue 4: logs name the detected client family). */
export function clientFamily(info: PeerVendorInfo): string {
  if (info.windows) return 'windows';
  if (info.strongSwan || (info.xauth && info.dpd && info.fragmentation)) return 'strongswan';
  if (info.ciscoUnity) return 'cisco-unity';
  if (info.natT === 'draft' && info.dpd && !info.xauth) return 'apple-or-racoon';
  return 'unknown';
}

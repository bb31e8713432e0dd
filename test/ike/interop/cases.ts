/**
 * The IKEv1 interop matrix of issue 4 ("Proof against real software"): what strongSwan proposes as an
 * L2TP/IPsec client, and the ike-scan probes standing in for Windows, macOS, Android and strongSwan.
 */

export interface SuiteCase {
  readonly label: string;
  /** swanctl IKE proposal. */
  readonly ike: string;
  /** swanctl ESP proposal (a DH group here means PFS in Quick Mode). */
  readonly esp: string;
  /** What charon's `--list-sas` must then show for the CHILD_SA. */
  readonly expectEncr: string;
  readonly expectEncrKeysize: string | undefined;
  readonly expectInteg: string | undefined;
  readonly expectPfsGroup: string | undefined;
}

export const SUITES: readonly SuiteCase[] = [
  {
    label: 'aes128-sha1-modp2048 / esp aes128-sha1',
    ike: 'aes128-sha1-modp2048',
    esp: 'aes128-sha1',
    expectEncr: 'AES_CBC',
    expectEncrKeysize: '128',
    expectInteg: 'HMAC_SHA1_96',
    expectPfsGroup: undefined,
  },
  {
    label: '3des-sha1-modp1024 / esp 3des-sha1',
    ike: '3des-sha1-modp1024',
    esp: '3des-sha1',
    expectEncr: '3DES_CBC',
    expectEncrKeysize: undefined,
    expectInteg: 'HMAC_SHA1_96',
    expectPfsGroup: undefined,
  },
  {
    label: 'aes256-sha256-modp2048 / esp aes256-sha256',
    ike: 'aes256-sha256-modp2048',
    esp: 'aes256-sha256',
    expectEncr: 'AES_CBC',
    expectEncrKeysize: '256',
    expectInteg: 'HMAC_SHA2_256_128',
    expectPfsGroup: undefined,
  },
  {
    label: 'aes128-sha1-ecp256 / esp aes128-sha1',
    ike: 'aes128-sha1-ecp256',
    esp: 'aes128-sha1',
    expectEncr: 'AES_CBC',
    expectEncrKeysize: '128',
    expectInteg: 'HMAC_SHA1_96',
    expectPfsGroup: undefined,
  },
  {
    label: 'aes256-sha384-ecp384 / esp aes256-sha384',
    ike: 'aes256-sha384-ecp384',
    esp: 'aes256-sha384',
    expectEncr: 'AES_CBC',
    expectEncrKeysize: '256',
    expectInteg: 'HMAC_SHA2_384_192',
    expectPfsGroup: undefined,
  },
  {
    label: 'PFS: aes128-sha1-modp2048 / esp aes128-sha1-modp2048',
    ike: 'aes128-sha1-modp2048',
    esp: 'aes128-sha1-modp2048',
    expectEncr: 'AES_CBC',
    expectEncrKeysize: '128',
    expectInteg: 'HMAC_SHA1_96',
    expectPfsGroup: 'MODP_2048',
  },
  {
    label: 'aes128-sha1-modp2048 / esp aes128gcm16',
    ike: 'aes128-sha1-modp2048',
    esp: 'aes128gcm16',
    expectEncr: 'AES_GCM_16',
    expectEncrKeysize: '128',
    expectInteg: undefined,
    expectPfsGroup: undefined,
  },
];

/**
 * ike-scan transform lists (`enc[/bits],hash,auth,group`, RFC 2409 appendix A: enc 5 = 3DES, 7 = AES;
 * hash 1 = MD5, 2 = SHA1, 4 = SHA2-256; auth 1 = PSK; group 2 = MODP1024, 14 = MODP2048, 19/20 = ECP256/384)
 * modelled on each client family's first choices as issue 4 lists them.
 */
export const CLIENT_PROBES: ReadonlyArray<{ readonly client: string; readonly trans: readonly string[] }> = [
  { client: 'Windows 10/11', trans: ['7/256,2,1,20', '7/128,2,1,19', '7/256,2,1,14', '5,2,1,2'] },
  { client: 'macOS/iOS', trans: ['7/256,4,1,14', '7/256,2,1,14', '7/128,2,1,14', '5,2,1,2'] },
  { client: 'Android (racoon)', trans: ['7/256,2,1,2', '7/128,2,1,2', '5,2,1,2', '7/256,1,1,2'] },
  { client: 'strongSwan 5.9', trans: ['7/128,2,1,14', '5,2,1,2'] },
];

/** DES / MD5 / PSK / MODP768: everything in it is refused by policy. */
export const WEAK_PROBE: readonly string[] = ['1,1,1,1'];

/** The CHILD_SA fields of `child` that differ from what `suite` must produce (empty when all match). */
export function suiteMismatches(
  child: {
    readonly mode: string;
    readonly protocol: string;
    readonly encrAlg: string | undefined;
    readonly encrKeysize: string | undefined;
    readonly integAlg: string | undefined;
    readonly dhGroup: string | undefined;
  },
  suite: SuiteCase,
): string[] {
  const want: Array<[string, string | undefined, string | undefined]> = [
    ['mode', child.mode, 'TRANSPORT'],
    ['protocol', child.protocol, 'ESP'],
    ['encr-alg', child.encrAlg, suite.expectEncr],
    ['encr-keysize', child.encrKeysize, suite.expectEncrKeysize],
    ['integ-alg', child.integAlg, suite.expectInteg],
    ['dh-group (PFS)', child.dhGroup, suite.expectPfsGroup],
  ];
  return want.filter(([, got, exp]) => got !== exp).map(([k, got, exp]) => `${k}: got ${got}, want ${exp}`);
}

/** Whole proposal lists as real strongSwan-based clients configure them (issue 4's fixtures). */
export const CLIENT_PROPOSAL_LISTS: ReadonlyArray<{
  readonly client: string;
  readonly name: string;
  readonly ike: string;
  readonly esp: string;
  /** IKE SA cipher and group the responder must choose, when the list leaves no doubt. */
  readonly expectIke: readonly [string, string] | undefined;
}> = [
  {
    // One proposal, two transforms (ike=aes128-sha1-modp2048,3des-sha1-modp1024): AES/MODP2048 wins on
    // either side's preference.
    client: 'strongSwan 5.9 (L2TP/IPsec how-to)',
    name: 'ss59',
    ike: 'aes128-sha1-modp2048,3des-sha1-modp1024',
    esp: 'aes128-sha1,3des-sha1',
    expectIke: ['AES_CBC', 'MODP_2048'],
  },
  {
    client: 'NetworkManager-l2tp (default)',
    name: 'nml2tp',
    ike:
      'aes256-sha256-modp2048,aes256-sha256-modp1536,aes256-sha256-modp1024,aes256-sha1-modp2048,' +
      'aes256-sha1-modp1536,aes256-sha1-modp1024,aes256-sha1-ecp384,aes128-sha1-modp1024,aes128-sha1-ecp256,' +
      '3des-sha1-modp2048,3des-sha1-modp1024',
    esp: 'aes256-sha1,aes128-sha1,3des-sha1',
    expectIke: undefined,
  },
  {
    // charon's built-in IKEv1 default is AES-128/SHA2-256/Curve25519 plus a transform carrying only
    // Group = Curve25519 (no cipher, no hash); neither is usable here, and the readable one after them must
    // still be found: an unreadable transform is skipped, not choked on (issue 4).
    client: 'strongSwan (proposals = default, then aes128-sha1-modp2048)',
    name: 'ssdef',
    ike: 'default,aes128-sha1-modp2048',
    esp: 'default,aes128-sha1',
    expectIke: ['AES_CBC', 'MODP_2048'],
  },
];

import { describe, expect, it } from 'vitest';
import type { DataAttribute } from '../../src/ike/codec/attributes.js';
import { NotifyType, PayloadType } from '../../src/ike/codec/constants.js';
import { IkeNotifyError } from '../../src/ike/codec/errors.js';
import type { SaPayload, Transform } from '../../src/ike/codec/sa.js';
import { chooseEsp, DEFAULT_ESP_POLICY } from '../../src/ike/esp-policy.js';
import {
  choosePhase1,
  DEFAULT_PHASE1_LIFETIME,
  DEFAULT_PHASE1_POLICY,
  withMd5,
} from '../../src/ike/policy.js';

const ENC = { aes: 7, '3des': 5, des: 1 } as const;
const HASH = { md5: 1, sha1: 2, sha256: 4, sha384: 5, sha512: 6 } as const;

/** A phase-1 transform as clients encode it (RFC 2409 App. A): life duration TLV when it does not fit TV. */
function p1(
  n: number,
  enc: keyof typeof ENC,
  keyBits: number | undefined,
  hash: keyof typeof HASH,
  group: number,
  life: number,
): Transform {
  const attrs: DataAttribute[] = [{ type: 1, value: ENC[enc] }];
  if (keyBits !== undefined) attrs.push({ type: 14, value: keyBits });
  const lifeValue = Buffer.alloc(4);
  lifeValue.writeUInt32BE(life);
  attrs.push(
    { type: 2, value: HASH[hash] },
    { type: 3, value: 1 },
    { type: 4, value: group },
    { type: 11, value: 1 },
    { type: 12, value: lifeValue },
  );
  return { number: n, id: 1, attributes: attrs };
}

function sa(transforms: Transform[]): SaPayload {
  return {
    type: PayloadType.SA,
    doi: 1,
    situation: 1,
    proposals: [{ number: 1, protocolId: 1, spi: Buffer.alloc(0), transforms }],
  };
}

function list(
  entries: [keyof typeof ENC, number | undefined, keyof typeof HASH, number][],
  life: number,
): SaPayload {
  return sa(entries.map(([e, k, h, g], i) => p1(i + 1, e, k, h, g, life)));
}

function describeChoice(s: SaPayload, policy = DEFAULT_PHASE1_POLICY): string {
  const c = choosePhase1(policy, s);
  return `${c.cipher.name}/${c.keyBits}/${c.hash.name}/${c.group.id}/${c.effectiveLifetimeSeconds}`;
}

function refusal(f: () => unknown): number | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof IkeNotifyError) return e.notify;
    throw e;
  }
  return undefined;
}

// Client proposal lists from issue 4.
const WINDOWS = list(
  [
    ['aes', 256, 'sha1', 20],
    ['aes', 128, 'sha1', 19],
    ['aes', 256, 'sha1', 14],
    ['3des', undefined, 'sha1', 2],
  ],
  28800,
);
const MACOS = list(
  [
    ['aes', 256, 'sha256', 14],
    ['aes', 256, 'sha1', 14],
    ['aes', 256, 'md5', 14],
    ['aes', 128, 'sha256', 14],
    ['aes', 128, 'sha1', 14],
    ['aes', 128, 'md5', 14],
    ['aes', 256, 'sha256', 5],
    ['aes', 256, 'sha1', 5],
    ['aes', 128, 'sha1', 5],
    ['3des', undefined, 'sha256', 14],
    ['3des', undefined, 'sha1', 14],
    ['3des', undefined, 'md5', 14],
    ['3des', undefined, 'sha1', 2],
    ['3des', undefined, 'md5', 2],
  ],
  3600,
);
const ANDROID = list(
  [
    ['aes', 256, 'md5', 2],
    ['aes', 256, 'sha1', 2],
    ['aes', 128, 'md5', 2],
    ['aes', 128, 'sha1', 2],
    ['3des', undefined, 'md5', 2],
    ['3des', undefined, 'sha1', 2],
  ],
  28800,
);
/** strongSwan 5.9 `ike=aes128-sha1-modp2048,3des-sha1-modp1024`, then its Curve25519-only transform. */
const STRONGSWAN = sa([
  p1(1, 'aes', 128, 'sha1', 14, 15840),
  p1(2, '3des', undefined, 'sha1', 2, 15840),
  { number: 3, id: 1, attributes: [{ type: 4, value: 31 }] },
]);
const NETWORKMANAGER = list(
  [
    ['aes', 256, 'sha256', 14],
    ['aes', 256, 'sha256', 5],
    ['aes', 256, 'sha256', 2],
    ['aes', 256, 'sha1', 14],
    ['aes', 256, 'sha1', 5],
    ['aes', 256, 'sha1', 2],
    ['aes', 256, 'sha1', 20],
    ['aes', 128, 'sha1', 2],
    ['aes', 128, 'sha1', 19],
    ['3des', undefined, 'sha1', 14],
    ['3des', undefined, 'sha1', 2],
  ],
  28800,
);

describe('phase-1 policy: what real clients send is accepted with the expected choice', () => {
  it('Windows 10/11 → AES-256/SHA1/ECP384, lifetime echoed', () => {
    expect(describeChoice(WINDOWS)).toBe('aes-cbc/256/sha1/20/28800');
  });
  it('macOS/iOS → AES-256/SHA2-256/MODP2048, 3600 s', () => {
    expect(MACOS.proposals[0].transforms).toHaveLength(14);
    expect(describeChoice(MACOS)).toBe('aes-cbc/256/sha256/14/3600');
  });
  it('Android (racoon, MODP1024 only) → AES-256/SHA1/MODP1024, logged legacy; MD5 skipped unless opted in', () => {
    expect(describeChoice(ANDROID)).toBe('aes-cbc/256/sha1/2/28800');
    expect(choosePhase1(DEFAULT_PHASE1_POLICY, ANDROID).legacyGroup).toBe(true);
    expect(describeChoice(ANDROID, withMd5(DEFAULT_PHASE1_POLICY))).toBe('aes-cbc/256/md5/2/28800');
  });
  it('strongSwan 5.9 → AES-128/SHA1/MODP2048; the Curve25519-only transform is skipped', () => {
    expect(describeChoice(STRONGSWAN)).toBe('aes-cbc/128/sha1/14/15840');
    expect(
      refusal(() => choosePhase1(DEFAULT_PHASE1_POLICY, sa([STRONGSWAN.proposals[0].transforms[2]]))),
    ).toBe(NotifyType.NoProposalChosen);
  });
  it('NetworkManager-l2tp defaults → AES-256/SHA2-256/MODP2048', () => {
    expect(describeChoice(NETWORKMANAGER)).toBe('aes-cbc/256/sha256/14/28800');
  });
  it('server preference picks by the server list instead', () => {
    expect(describeChoice(WINDOWS, { ...DEFAULT_PHASE1_POLICY, prefer: 'server' })).toBe(
      'aes-cbc/256/sha1/14/28800',
    );
  });
});

describe('phase-1 policy refuses weak or unreadable suites', () => {
  it('DES/MD5/MODP768 (ike-scan --trans=1,1,1,1) → NO-PROPOSAL-CHOSEN', () => {
    expect(
      refusal(() => choosePhase1(DEFAULT_PHASE1_POLICY, list([['des', undefined, 'md5', 1]], 28800))),
    ).toBe(NotifyType.NoProposalChosen);
  });
  it('group 1 never, even when listed', () => {
    const policy = { ...DEFAULT_PHASE1_POLICY, groups: [1, 2] as const };
    expect(refusal(() => choosePhase1(policy as never, list([['aes', 128, 'sha1', 1]], 28800)))).toBe(
      NotifyType.NoProposalChosen,
    );
  });
  it('AES with a key length it does not have, or an unknown attribute, is skipped', () => {
    expect(refusal(() => choosePhase1(DEFAULT_PHASE1_POLICY, list([['aes', 100, 'sha1', 14]], 28800)))).toBe(
      NotifyType.NoProposalChosen,
    );
    const odd = p1(1, 'aes', 128, 'sha1', 14, 3600);
    const withUnknown: Transform = { ...odd, attributes: [...odd.attributes, { type: 16, value: 1 }] };
    expect(refusal(() => choosePhase1(DEFAULT_PHASE1_POLICY, sa([withUnknown])))).toBe(
      NotifyType.NoProposalChosen,
    );
  });
  it('RSA-signature authentication is not offered yet (its seam is authMethods)', () => {
    const t = p1(1, 'aes', 128, 'sha1', 14, 3600);
    const rsa: Transform = {
      ...t,
      attributes: t.attributes.map((a) => (a.type === 3 ? { type: 3, value: 3 } : a)),
    };
    expect(refusal(() => choosePhase1(DEFAULT_PHASE1_POLICY, sa([rsa])))).toBe(NotifyType.NoProposalChosen);
  });
  it('a lifetime above the maximum is capped and flagged for RESPONDER-LIFETIME', () => {
    const c = choosePhase1({ ...DEFAULT_PHASE1_POLICY, maxLifetimeSeconds: 7200 }, WINDOWS);
    expect(c.effectiveLifetimeSeconds).toBe(7200);
    expect(c.capped).toBe(true);
    expect(choosePhase1(DEFAULT_PHASE1_POLICY, WINDOWS).capped).toBe(false);
  });
  it("a Life-Duration of 0 (strongSwan's rekey=no) means no proposal: the default lifetime applies", () => {
    const c = choosePhase1(DEFAULT_PHASE1_POLICY, sa([p1(1, 'aes', 128, 'sha1', 14, 0)]));
    expect(c.effectiveLifetimeSeconds).toBe(DEFAULT_PHASE1_LIFETIME);
  });
});

function esp(n: number, id: number, attrs: [number, number][], spi = 'c0ffee01'): SaPayload {
  return {
    type: PayloadType.SA,
    doi: 1,
    situation: 1,
    proposals: [
      {
        number: n,
        protocolId: 3,
        spi: Buffer.from(spi, 'hex'),
        transforms: [{ number: 1, id, attributes: attrs.map(([type, value]) => ({ type, value })) }],
      },
    ],
  };
}

describe('ESP policy (RFC 2407 s4.4.4, s4.5; RFC 3947 s5.1)', () => {
  const life: [number, number][] = [
    [1, 1],
    [2, 3600],
  ];
  it('Windows: AES-256/SHA1 UDP-encapsulated transport (RFC mode 4)', () => {
    const c = chooseEsp(DEFAULT_ESP_POLICY, esp(1, 12, [...life, [4, 4], [5, 2], [6, 256]]), true);
    expect([c.cipher.name, c.keyBits, c.integrity?.name, c.mode, c.udpEncapsulation]).toEqual([
      'aes-cbc',
      256,
      'hmac-sha1-96',
      'transport',
      true,
    ]);
    expect(c.peerSpi.toString('hex')).toBe('c0ffee01');
  });
  it('draft modes 61443/61444, 3DES without key length, SHA2-256/384/512 and MD5 auth', () => {
    expect(
      chooseEsp(
        DEFAULT_ESP_POLICY,
        esp(1, 3, [
          [4, 61444],
          [5, 1],
        ]),
        true,
      ).integrity?.name,
    ).toBe('hmac-md5-96');
    expect(
      chooseEsp(
        DEFAULT_ESP_POLICY,
        esp(1, 12, [
          [4, 61443],
          [5, 5],
          [6, 128],
        ]),
        true,
      ).mode,
    ).toBe('tunnel');
    expect(
      chooseEsp(
        DEFAULT_ESP_POLICY,
        esp(1, 12, [
          [4, 3],
          [5, 6],
          [6, 256],
        ]),
        true,
      ).integrity?.name,
    ).toBe('hmac-sha384-192');
    expect(
      chooseEsp(
        DEFAULT_ESP_POLICY,
        esp(1, 12, [
          [4, 4],
          [5, 7],
          [6, 192],
        ]),
        true,
      ).integrity?.name,
    ).toBe('hmac-sha512-256');
  });
  it('AES-GCM-16 without an auth attribute; CBC without one is refused', () => {
    const c = chooseEsp(
      DEFAULT_ESP_POLICY,
      esp(1, 20, [
        [4, 4],
        [6, 128],
      ]),
      true,
    );
    expect([c.cipher.name, c.integrity]).toEqual(['aes-gcm-16', undefined]);
    expect(
      refusal(() =>
        chooseEsp(
          DEFAULT_ESP_POLICY,
          esp(1, 12, [
            [4, 4],
            [6, 128],
          ]),
          true,
        ),
      ),
    ).toBe(NotifyType.NoProposalChosen);
  });
  it('raw transport only when NAT-T is not in use and raw ESP is allowed', () => {
    const raw = esp(1, 12, [
      [4, 2],
      [5, 2],
      [6, 128],
    ]);
    expect(refusal(() => chooseEsp(DEFAULT_ESP_POLICY, raw, false))).toBe(NotifyType.NoProposalChosen);
    expect(refusal(() => chooseEsp({ ...DEFAULT_ESP_POLICY, allowRawEsp: true }, raw, true))).toBe(
      NotifyType.NoProposalChosen,
    );
    expect(chooseEsp({ ...DEFAULT_ESP_POLICY, allowRawEsp: true }, raw, false).udpEncapsulation).toBe(false);
  });
  it('PFS group read; group 1 refused; lifetime capped', () => {
    expect(
      chooseEsp(
        DEFAULT_ESP_POLICY,
        esp(1, 12, [
          [3, 19],
          [4, 4],
          [5, 2],
          [6, 128],
        ]),
        true,
      ).pfsGroup?.id,
    ).toBe(19);
    expect(
      refusal(() =>
        chooseEsp(
          DEFAULT_ESP_POLICY,
          esp(1, 12, [
            [3, 1],
            [4, 4],
            [5, 2],
            [6, 128],
          ]),
          true,
        ),
      ),
    ).toBe(NotifyType.NoProposalChosen);
    const c = chooseEsp(
      { ...DEFAULT_ESP_POLICY, maxLifetimeSeconds: 1200 },
      esp(1, 12, [...life, [4, 4], [5, 2], [6, 128]]),
      true,
    );
    expect([c.effectiveLifetimeSeconds, c.capped]).toEqual([1200, true]);
  });
  it('a proposal combining ESP with IPComp under one number is skipped', () => {
    const s = esp(1, 12, [
      [4, 4],
      [5, 2],
      [6, 128],
    ]);
    const both: SaPayload = {
      ...s,
      proposals: [
        ...s.proposals,
        {
          number: 1,
          protocolId: 4,
          spi: Buffer.from('0001', 'hex'),
          transforms: [{ number: 1, id: 2, attributes: [] }],
        },
      ],
    };
    expect(refusal(() => chooseEsp(DEFAULT_ESP_POLICY, both, true))).toBe(NotifyType.NoProposalChosen);
  });
});

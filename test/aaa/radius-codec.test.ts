/**
 * The RADIUS codec against RFC 2865 section 7 (vectors/radius-rfc2865.json), RFC 2548's MS-CHAPv2
 * attribute layout, and @noble/hashes as an independent MD5/HMAC-MD5 for the authenticators of
 * RFC 2866 section 3 and RFC 3579 section 3.2.
 */
import { readFileSync } from 'node:fs';
import { hmac } from '@noble/hashes/hmac.js';
import { md5 } from '@noble/hashes/legacy.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AttributeType,
  addressAttribute,
  findAttribute,
  integerAttribute,
  readAddress,
  readInteger,
  readText,
  taggedIntegerAttribute,
  textAttribute,
} from '../../src/aaa/radius/attributes.js';
import { decodeChapPassword, encodeChapPassword } from '../../src/aaa/radius/chap-password.js';
import {
  decodeIdentText,
  decodeMsChap2Response,
  encodeIdentText,
  encodeMsChap2Response,
  MICROSOFT_VENDOR_ID,
  MicrosoftAttribute,
} from '../../src/aaa/radius/microsoft.js';
import {
  decodeRadiusPacket,
  encodeRadiusPacket,
  RadiusCode,
  RadiusDecodeError,
  RadiusEncodeError,
  type RadiusPacket,
} from '../../src/aaa/radius/packet.js';
import {
  hasValidAccountingRequestAuthenticator,
  hasValidRequestMessageAuthenticator,
  RadiusVerifyError,
  signAccessRequest,
  signAccountingRequest,
  signResponse,
  verifyResponse,
} from '../../src/aaa/radius/signing.js';
import { hideUserPassword, recoverUserPassword } from '../../src/aaa/radius/user-password.js';
import {
  decodeVendorSpecific,
  encodeVendorSpecific,
  findVendorAttribute,
} from '../../src/aaa/radius/vendor-specific.js';

interface Rfc2865Case {
  source: string;
  secret?: string;
  password?: string;
  request: string;
  requestAttributes: Record<string, string | number>;
  response?: string;
}
const vectors = JSON.parse(
  readFileSync(new URL('../../vectors/radius-rfc2865.json', import.meta.url), 'utf8'),
) as {
  cases: Rfc2865Case[];
};
const telnet = vectors.cases[0];
const chap = vectors.cases[1];

function verifyError(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof RadiusVerifyError) return e.reason;
    throw e;
  }
  return 'accepted';
}

describe('RFC 2865 section 7.1 (PAP, secret xyzzy5461)', () => {
  const secret = Buffer.from(telnet.secret ?? '');
  const requestBytes = Buffer.from(telnet.request, 'hex');

  it('decodes the Access-Request and recovers the password', () => {
    const p = decodeRadiusPacket(requestBytes);
    expect(p.code).toBe(RadiusCode.AccessRequest);
    expect(p.identifier).toBe(0);
    expect(p.attributes.map((a) => a.type)).toEqual([1, 2, 4, 5]);
    expect(readText(p.attributes[0])).toBe('nemo');
    expect(readAddress(p.attributes[2])).toBe('192.168.1.16');
    expect(readInteger(p.attributes[3])).toBe(3);
    expect(recoverUserPassword(p.attributes[1].value, secret, p.authenticator).toString()).toBe(
      telnet.password,
    );
  });

  it('builds the exact Access-Request bytes, hiding the password itself', () => {
    const authenticator = requestBytes.subarray(4, 20);
    const built = encodeRadiusPacket({
      code: RadiusCode.AccessRequest,
      identifier: 0,
      authenticator,
      attributes: [
        textAttribute(AttributeType.UserName, 'nemo'),
        {
          type: AttributeType.UserPassword,
          value: hideUserPassword(Buffer.from(telnet.password ?? ''), secret, authenticator),
        },
        addressAttribute(AttributeType.NasIpAddress, '192.168.1.16'),
        integerAttribute(AttributeType.NasPort, 3),
      ],
    });
    expect(built.toString('hex')).toBe(telnet.request);
  });

  it('signs the exact Access-Accept (Response Authenticator) and verifies it', () => {
    const requestAuthenticator = requestBytes.subarray(4, 20);
    const accept = signResponse(
      {
        code: RadiusCode.AccessAccept,
        identifier: 0,
        attributes: [
          integerAttribute(AttributeType.ServiceType, 1),
          integerAttribute(15, 0),
          addressAttribute(14, '192.168.1.3'),
        ],
      },
      requestAuthenticator,
      secret,
      { messageAuthenticator: false },
    );
    expect(accept.toString('hex')).toBe(telnet.response);
    const ok = verifyResponse(accept, requestAuthenticator, secret, { requireMessageAuthenticator: false });
    expect(readAddress(ok.attributes[2])).toBe('192.168.1.3');
    // Without Message-Authenticator the RFC's own reply is refused under the BlastRADIUS rule.
    expect(
      verifyError(() =>
        verifyResponse(accept, requestAuthenticator, secret, { requireMessageAuthenticator: true }),
      ),
    ).toBe('missing-message-authenticator');
    expect(
      verifyError(() =>
        verifyResponse(accept, requestAuthenticator, Buffer.from('xyzzy5462'), {
          requireMessageAuthenticator: false,
        }),
      ),
    ).toBe('bad-response-authenticator');
  });
});

describe('RFC 2865 section 7.2 (CHAP)', () => {
  it('decodes CHAP-Password and re-encodes byte-exact', () => {
    const bytes = Buffer.from(chap.request, 'hex');
    const p = decodeRadiusPacket(bytes);
    expect(p.identifier).toBe(1);
    expect(readText(p.attributes[0])).toBe('flopsy');
    const cp = decodeChapPassword(p.attributes[1].value);
    expect(cp.id).toBe(chap.requestAttributes.chapId);
    expect(encodeChapPassword(cp)).toEqual(p.attributes[1].value);
    expect(readInteger(p.attributes[4])).toBe(2);
    expect(readInteger(p.attributes[5])).toBe(1);
    expect(encodeRadiusPacket(p)).toEqual(bytes);
  });
});

describe('packet decode limits (RFC 2865 section 3)', () => {
  const bytes = Buffer.from(chap.request, 'hex');

  it('refuses every truncated prefix', () => {
    for (let n = 0; n < bytes.length; n++) {
      expect(() => decodeRadiusPacket(bytes.subarray(0, n))).toThrow(RadiusDecodeError);
    }
  });

  it('ignores padding past Length, refuses bad Length and bad attribute lengths', () => {
    const padded = Buffer.concat([bytes, Buffer.from([1, 2, 3])]);
    expect(decodeRadiusPacket(padded)).toEqual(decodeRadiusPacket(bytes));
    const short = Buffer.from(bytes);
    short.writeUInt16BE(19, 2);
    expect(() => decodeRadiusPacket(short)).toThrow(/outside 20..4096/);
    const big = Buffer.alloc(4200);
    big.writeUInt16BE(4097, 2);
    expect(() => decodeRadiusPacket(big)).toThrow(/outside 20..4096/);
    for (const badLen of [0, 1, 200]) {
      const b = Buffer.from(bytes);
      b[21] = badLen;
      expect(() => decodeRadiusPacket(b)).toThrow(/bad length/);
    }
  });

  it('refuses to encode oversized values and packets', () => {
    const p: RadiusPacket = {
      code: 1,
      identifier: 0,
      authenticator: Buffer.alloc(16),
      attributes: [{ type: 18, value: Buffer.alloc(254) }],
    };
    expect(() => encodeRadiusPacket(p)).toThrow(RadiusEncodeError);
    const many = {
      ...p,
      attributes: Array.from({ length: 17 }, () => ({ type: 18, value: Buffer.alloc(253) })),
    };
    expect(() => encodeRadiusPacket(many)).toThrow(/exceeds 4096/);
  });

  it('round-trips arbitrary packets', () => {
    const attr = fc.record({
      type: fc.integer({ min: 1, max: 255 }),
      value: fc.uint8Array({ maxLength: 40 }),
    });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 255 }),
        fc.integer({ min: 0, max: 255 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.array(attr, { maxLength: 20 }),
        (code, identifier, auth, attrs) => {
          const p: RadiusPacket = {
            code,
            identifier,
            authenticator: Buffer.from(auth),
            attributes: attrs.map((a) => ({ type: a.type, value: Buffer.from(a.value) })),
          };
          expect(decodeRadiusPacket(encodeRadiusPacket(p))).toEqual(p);
        },
      ),
    );
  });
});

describe('User-Password hiding (section 5.2)', () => {
  it('round-trips 0..128 octets and chains blocks on the ciphertext', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 128 }).map((u) => Buffer.from(u.map((x) => x || 1))),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        (password, ra) => {
          const secret = Buffer.from('s3cret');
          const hidden = hideUserPassword(password, secret, Buffer.from(ra));
          expect(hidden.length).toBe(Math.max(16, Math.ceil(password.length / 16) * 16));
          expect(recoverUserPassword(hidden, secret, Buffer.from(ra))).toEqual(password);
          // Independent check of the second block: b2 = MD5(S ‖ c1).
          if (password.length > 16) {
            const b2 = md5(Buffer.concat([secret, hidden.subarray(0, 16)]));
            const p2 = Buffer.alloc(16);
            password.subarray(16, 32).copy(p2);
            for (let i = 0; i < 16; i++) expect(hidden[16 + i]).toBe(p2[i] ^ b2[i]);
          }
        },
      ),
    );
    expect(() => hideUserPassword(Buffer.alloc(129, 1), Buffer.from('s'), Buffer.alloc(16))).toThrow(/128/);
    expect(() => recoverUserPassword(Buffer.alloc(17), Buffer.from('s'), Buffer.alloc(16))).toThrow(
      RadiusDecodeError,
    );
  });
});

describe('Message-Authenticator (RFC 3579 section 3.2) and the BlastRADIUS rule', () => {
  const secret = Buffer.from('testing123');
  const requestAuthenticator = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
  const request: RadiusPacket = {
    code: RadiusCode.AccessRequest,
    identifier: 7,
    authenticator: requestAuthenticator,
    attributes: [textAttribute(AttributeType.UserName, 'bob')],
  };

  it('puts a valid Message-Authenticator first in every Access-Request', () => {
    const bytes = signAccessRequest(request, secret);
    expect(bytes[20]).toBe(80);
    expect(bytes[21]).toBe(18);
    const zeroed = Buffer.from(bytes);
    zeroed.fill(0, 22, 38);
    expect(Buffer.from(hmac(md5, secret, zeroed))).toEqual(bytes.subarray(22, 38));
    expect(hasValidRequestMessageAuthenticator(bytes, secret)).toBe(true);
    const tampered = Buffer.from(bytes);
    tampered[tampered.length - 1] ^= 1;
    expect(hasValidRequestMessageAuthenticator(tampered, secret)).toBe(false);
  });

  it('accepts a signed reply and refuses a missing, forged or duplicated Message-Authenticator', () => {
    const reply = {
      code: RadiusCode.AccessAccept,
      identifier: 7,
      attributes: [addressAttribute(AttributeType.FramedIpAddress, '10.9.8.7')],
    };
    const signed = signResponse(reply, requestAuthenticator, secret, { messageAuthenticator: true });
    // Independent: HMAC over the reply with the request's authenticator and the MA zeroed.
    const check = Buffer.from(signed);
    requestAuthenticator.copy(check, 4);
    check.fill(0, 22, 38);
    expect(Buffer.from(hmac(md5, secret, check))).toEqual(signed.subarray(22, 38));
    const opts = { requireMessageAuthenticator: true };
    expect(findAttribute(verifyResponse(signed, requestAuthenticator, secret, opts), 8)).toBeDefined();

    // A forged MA with a correct MD5 Response Authenticator (what a BlastRADIUS attacker can reach).
    const forged = Buffer.from(signed);
    forged[30] ^= 0xff;
    requestAuthenticator.copy(forged, 4);
    Buffer.from(md5(Buffer.concat([forged, secret]))).copy(forged, 4);
    expect(verifyError(() => verifyResponse(forged, requestAuthenticator, secret, opts))).toBe(
      'bad-message-authenticator',
    );

    const bare = signResponse(reply, requestAuthenticator, secret, { messageAuthenticator: false });
    expect(verifyError(() => verifyResponse(bare, requestAuthenticator, secret, opts))).toBe(
      'missing-message-authenticator',
    );
    const twice = signResponse(
      { ...reply, attributes: [...reply.attributes, { type: 26, value: Buffer.alloc(4) }] },
      requestAuthenticator,
      secret,
      { messageAuthenticator: true },
    );
    // Replace the trailing VSA by a second Message-Authenticator and re-sign the MD5 only.
    const dup = Buffer.concat([
      twice.subarray(0, twice.length - 6),
      Buffer.from([80, 18]),
      twice.subarray(22, 38),
    ]);
    dup.writeUInt16BE(dup.length, 2);
    requestAuthenticator.copy(dup, 4);
    Buffer.from(md5(Buffer.concat([dup, secret]))).copy(dup, 4);
    expect(verifyError(() => verifyResponse(dup, requestAuthenticator, secret, opts))).toBe(
      'bad-message-authenticator',
    );
    // A reply to another request (other Request Authenticator) fails the MD5 check.
    expect(verifyError(() => verifyResponse(signed, Buffer.alloc(16, 1), secret, opts))).toBe(
      'bad-response-authenticator',
    );
  });

  it('signs Accounting-Request per RFC 2866 section 3', () => {
    const bytes = signAccountingRequest(
      {
        code: RadiusCode.AccountingRequest,
        identifier: 3,
        authenticator: Buffer.alloc(16, 0xaa),
        attributes: [],
      },
      secret,
    );
    const zero = Buffer.from(bytes);
    zero.fill(0, 4, 20);
    expect(Buffer.from(md5(Buffer.concat([zero, secret])))).toEqual(bytes.subarray(4, 20));
    expect(hasValidAccountingRequestAuthenticator(bytes, secret)).toBe(true);
    expect(hasValidAccountingRequestAuthenticator(bytes, Buffer.from('other'))).toBe(false);
  });
});

describe('Vendor-Specific and the Microsoft attributes (RFC 2865 section 5.26, RFC 2548)', () => {
  it('lays out MS-CHAP2-Response as Ident, Flags, Peer-Challenge, Reserved, Response', () => {
    const peerChallenge = Buffer.alloc(16, 0x11);
    const ntResponse = Buffer.alloc(24, 0x22);
    const value = encodeMsChap2Response({ ident: 0x2a, peerChallenge, ntResponse });
    expect(value.toString('hex')).toBe(`2a00${'11'.repeat(16)}${'00'.repeat(8)}${'22'.repeat(24)}`);
    expect(decodeMsChap2Response(value)).toEqual({ ident: 0x2a, peerChallenge, ntResponse });
    const vsa = encodeVendorSpecific(MICROSOFT_VENDOR_ID, [
      { type: MicrosoftAttribute.MsChapChallenge, value: Buffer.alloc(16, 0x33) },
      { type: MicrosoftAttribute.MsChap2Response, value },
    ]);
    // Type 26, Vendor-Id 311, then Vendor-Type 11 / Vendor-Length 18 …
    expect(vsa.value.subarray(0, 6).toString('hex')).toBe('000001370b12');
    expect(vsa.value.length).toBe(4 + 18 + 52);
    const subs = decodeVendorSpecific(vsa.value);
    expect(subs.map((s) => [s.vendorId, s.type, s.value.length])).toEqual([
      [311, 11, 16],
      [311, 25, 50],
    ]);
    const packet = { code: 2, identifier: 0, authenticator: Buffer.alloc(16), attributes: [vsa] };
    expect(findVendorAttribute(decodeRadiusPacket(encodeRadiusPacket(packet)), 311, 25)?.value).toEqual(
      value,
    );
    expect(findVendorAttribute(packet, 9, 25)).toBeUndefined();
  });

  it('reads MS-CHAP2-Success and refuses malformed vendor data', () => {
    const s = `S=${'AB'.repeat(20)}`;
    expect(decodeIdentText(encodeIdentText({ ident: 5, text: s }))).toEqual({ ident: 5, text: s });
    expect(() => decodeVendorSpecific(Buffer.from([0, 0, 1]))).toThrow(RadiusDecodeError);
    expect(() => decodeVendorSpecific(Buffer.from([0, 0, 1, 0x37, 26, 9, 0]))).toThrow(/bad length/);
    expect(() => decodeMsChap2Response(Buffer.alloc(49))).toThrow(RadiusDecodeError);
  });

  it('encodes the tagged Tunnel-Type of RFC 2868', () => {
    expect(taggedIntegerAttribute(AttributeType.TunnelType, 0, 3).value.toString('hex')).toBe('00000003');
  });
});

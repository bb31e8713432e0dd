import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeAvps, encodeAvp } from '../../src/l2tp/avp.js';
import { AvpType, ErrorCode, MessageType, StopCcnResult } from '../../src/l2tp/constants.js';
import { L2tpDecodeError } from '../../src/l2tp/errors.js';
import {
  DATA_HEADER_MAX,
  decodeControl,
  encodeControl,
  newParsedData,
  parseDataMessage,
  writeDataHeader,
} from '../../src/l2tp/header.js';
import { hideAvpValue, unhideAvpValue } from '../../src/l2tp/hidden.js';
import { type ControlMessage, decodeMessage, encodeMessage } from '../../src/l2tp/message.js';

interface Vector {
  name: string;
  source: string;
  header: { tunnelId: number; sessionId: number; ns: number; nr: number };
  message: Record<string, unknown> | null;
  hex: string;
  note?: string;
  decodeOnly?: boolean;
}

const load = (file: string): Vector[] =>
  JSON.parse(readFileSync(new URL(`../../vectors/${file}`, import.meta.url), 'utf8')) as Vector[];
const vectors = load('l2tp-messages.json');
/** Real messages from xl2tpd: decode-only (its AVP order and random values are its own). */
const captured = load('l2tp-xl2tpd.json');
const BUFFER_FIELDS = new Set(['challenge', 'challengeResponse', 'tieBreaker']);

function toMessage(v: Record<string, unknown>): ControlMessage {
  const out: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(v))
    out[k] = BUFFER_FIELDS.has(k) ? Buffer.from(val as string, 'hex') : val;
  return out as unknown as ControlMessage;
}

/** An Rng that hands out fixed bytes in order, so the hidden-AVP vector is reproducible. */
function fixedRng(chunks: Buffer[]): (n: number) => Buffer {
  return (n) => {
    const c = chunks.shift();
    if (!c || c.length !== n) throw new Error(`unexpected rng(${n})`);
    return c;
  };
}

describe('golden control messages (vectors/l2tp-messages.json)', () => {
  const secret = Buffer.from('tunnel-secret');
  for (const v of [...vectors, ...captured]) {
    it(`${v.name} decodes${v.decodeOnly ? '' : ' and re-encodes byte-exact'}`, () => {
      const bytes = Buffer.from(v.hex, 'hex');
      const h = decodeControl(bytes);
      expect({ tunnelId: h.tunnelId, sessionId: h.sessionId, ns: h.ns, nr: h.nr }).toEqual(v.header);
      if (v.message === null) {
        expect(h.body.length).toBe(0);
        expect(encodeControl(v.header, Buffer.alloc(0)).toString('hex')).toBe(v.hex);
        return;
      }
      const expected = toMessage(v.message);
      const d = decodeMessage(h.body, secret);
      expect(d.error).toBeUndefined();
      expect(d.message).toEqual(expected);
      if (v.decodeOnly) return;
      let hide: Parameters<typeof encodeMessage>[1];
      if (v.name.endsWith('-hidden')) {
        const rng = fixedRng([
          Buffer.from('404142434445464748494a4b4c4d4e4f', 'hex'),
          Buffer.alloc(12, 0xee),
          Buffer.alloc(10, 0xdd),
        ]);
        hide = { secret, rng };
      }
      const encoded = encodeControl(v.header, encodeMessage(expected, hide));
      expect(encoded.toString('hex')).toBe(v.hex);
    });
  }

  it('covers every message type of RFC 2661 section 3.2', () => {
    const types = new Set(vectors.map((v) => v.message?.type));
    for (const t of Object.values(MessageType)) expect(types.has(t)).toBe(true);
  });
});

describe('control header (section 3.1)', () => {
  const good = Buffer.from(vectors.find((v) => v.name === 'HELLO')!.hex, 'hex');

  it('rejects a wrong version, missing L/S bits, O bit and lengths that do not fit', () => {
    const variant = (f: (b: Buffer) => void): Buffer => {
      const b = Buffer.from(good);
      f(b);
      return b;
    };
    const reason = (b: Buffer): string => {
      try {
        decodeControl(b);
        return 'ok';
      } catch (e) {
        return (e as L2tpDecodeError).reason;
      }
    };
    expect(reason(good)).toBe('ok');
    expect(reason(variant((b) => b.writeUInt16BE(0xc803, 0)))).toBe('bad-version');
    expect(reason(variant((b) => b.writeUInt16BE(0xc801, 0)))).toBe('bad-version');
    expect(reason(variant((b) => b.writeUInt16BE(0x8802, 0)))).toBe('bad-flags');
    expect(reason(variant((b) => b.writeUInt16BE(0xc002, 0)))).toBe('bad-flags');
    expect(reason(variant((b) => b.writeUInt16BE(0xca02, 0)))).toBe('bad-flags');
    expect(reason(variant((b) => b.writeUInt16BE(200, 2)))).toBe('bad-length');
    expect(reason(variant((b) => b.writeUInt16BE(4, 2)))).toBe('bad-length');
    expect(reason(good.subarray(0, 9))).toBe('short');
  });

  it('round-trips random headers and bodies', () => {
    for (let i = 0; i < 200; i++) {
      const h = {
        tunnelId: (i * 7919) & 0xffff,
        sessionId: (i * 31) & 0xffff,
        ns: i & 0xffff,
        nr: (i * 3) & 0xffff,
      };
      const body = Buffer.alloc(i % 40, i);
      const d = decodeControl(encodeControl(h, body));
      expect({ tunnelId: d.tunnelId, sessionId: d.sessionId, ns: d.ns, nr: d.nr }).toEqual(h);
      expect(d.body.equals(body)).toBe(true);
    }
  });
});

describe('AVP codec (section 4.1)', () => {
  it('reads M, H, vendor and type and refuses lengths that do not fit', () => {
    const a = encodeAvp({
      mandatory: false,
      hidden: true,
      vendorId: 311,
      type: 99,
      value: Buffer.from([1, 2, 3]),
    });
    expect(a.toString('hex')).toBe('4009013700630102' + '03');
    const [d] = decodeAvps(a);
    expect(d).toMatchObject({ mandatory: false, hidden: true, vendorId: 311, type: 99 });
    expect([...d.value]).toEqual([1, 2, 3]);
    const short = Buffer.from(a);
    short.writeUInt16BE(0x4005, 0);
    expect(() => decodeAvps(short)).toThrow(L2tpDecodeError);
    const long = Buffer.from(a);
    long.writeUInt16BE(0x400a, 0);
    expect(() => decodeAvps(long)).toThrow(L2tpDecodeError);
    expect(() => decodeAvps(a.subarray(0, 4))).toThrow(L2tpDecodeError);
  });

  it('hides and reveals values of every length (section 4.3)', () => {
    const secret = Buffer.from('s3cret');
    const rv = Buffer.alloc(16, 7);
    for (let len = 0; len < 70; len++) {
      const value = Buffer.alloc(len, len);
      const hidden = hideAvpValue(AvpType.CalledNumber, value, secret, rv, Buffer.alloc(len % 5, 0xaa));
      expect(unhideAvpValue(AvpType.CalledNumber, hidden, secret, rv).equals(value)).toBe(true);
    }
  });

  it('turns a hidden AVP under the wrong secret into a protocol error, not a crash', () => {
    const body = encodeMessage(
      { type: MessageType.ICRQ, assignedSessionId: 5, callSerialNumber: 9 },
      { secret: Buffer.from('right'), rng: (n) => Buffer.alloc(n, 1) },
    );
    const d = decodeMessage(body, Buffer.from('wrong'));
    expect(d.error?.errorCode).toBe(ErrorCode.BadLength);
    expect(decodeMessage(body).error?.resultCode).toBe(StopCcnResult.GeneralError);
  });
});

describe('message validation (section 4.1, 6.x)', () => {
  const encode = (m: ControlMessage): Buffer => encodeMessage(m);
  it('reports a missing mandatory AVP with a session scope for session messages', () => {
    const d = decodeMessage(encode({ type: MessageType.ICRQ, assignedSessionId: 3 }));
    expect(d.error?.scope).toBe('session');
    expect(d.message.assignedSessionId).toBe(3);
    const t = decodeMessage(encode({ type: MessageType.SCCRQ, hostName: 'x', assignedTunnelId: 1 }));
    expect(t.error?.scope).toBe('tunnel');
  });

  it('unknown AVP: M bit → General Error / error 8; no M bit → skipped', () => {
    const base = encode({ type: MessageType.HELLO });
    const unknownM = encodeAvp({
      mandatory: true,
      hidden: false,
      vendorId: 0,
      type: 200,
      value: Buffer.alloc(2),
    });
    const unknownOpt = encodeAvp({
      mandatory: false,
      hidden: false,
      vendorId: 9,
      type: 1,
      value: Buffer.alloc(2),
    });
    const bad = decodeMessage(Buffer.concat([base, unknownM]));
    expect(bad.error).toMatchObject({
      resultCode: 2,
      errorCode: ErrorCode.UnknownMandatoryAvp,
      scope: 'tunnel',
    });
    const ok = decodeMessage(Buffer.concat([base, unknownOpt]));
    expect(ok.error).toBeUndefined();
    expect(ok.skippedAvps).toBe(1);
  });

  it('wrong value length → Length is wrong (error 2)', () => {
    const base = encode({ type: MessageType.ICRP });
    const avp = encodeAvp({
      mandatory: true,
      hidden: false,
      vendorId: 0,
      type: AvpType.AssignedSessionId,
      value: Buffer.alloc(3),
    });
    expect(decodeMessage(Buffer.concat([base, avp])).error?.errorCode).toBe(ErrorCode.BadLength);
  });

  it('drops a message whose first AVP is not Message Type; ignores an unknown optional message type', () => {
    const avp = encodeAvp({
      mandatory: true,
      hidden: false,
      vendorId: 0,
      type: AvpType.HostName,
      value: Buffer.from('x'),
    });
    expect(() => decodeMessage(avp)).toThrow(L2tpDecodeError);
    const opt = encodeAvp({
      mandatory: false,
      hidden: false,
      vendorId: 0,
      type: 0,
      value: Buffer.from([0, 99]),
    });
    expect(decodeMessage(opt).ignore).toBe(true);
    const mand = encodeAvp({
      mandatory: true,
      hidden: false,
      vendorId: 0,
      type: 0,
      value: Buffer.from([0, 99]),
    });
    expect(decodeMessage(mand).error?.scope).toBe('tunnel');
  });
});

describe('data path (section 3.1, 5.4)', () => {
  it('writes headers in front of the payload and parses them back without copying', () => {
    const out = newParsedData();
    const buf = Buffer.alloc(DATA_HEADER_MAX + 64);
    const payload = Buffer.from('c021010100040000', 'hex');
    for (const [ns, withLength] of [
      [-1, false],
      [7, false],
      [65535, true],
    ] as const) {
      payload.copy(buf, DATA_HEADER_MAX);
      const start = writeDataHeader(buf, DATA_HEADER_MAX, payload.length, 0xabcd, 0x1234, ns, withLength);
      const len = DATA_HEADER_MAX + payload.length - start;
      expect(parseDataMessage(buf, start, len, out)).toBe('data');
      expect(out).toMatchObject({ tunnelId: 0xabcd, sessionId: 0x1234, ns });
      expect(buf.subarray(out.payloadOffset, out.payloadOffset + out.payloadLength).equals(payload)).toBe(
        true,
      );
    }
    // the bare header: flags 0002, tunnel, session
    const start = writeDataHeader(buf, DATA_HEADER_MAX, payload.length, 1, 2, -1);
    expect(buf.subarray(start, DATA_HEADER_MAX).toString('hex')).toBe('000200010002');
  });

  it('skips an offset pad and a leading FF 03, and refuses bad input', () => {
    const out = newParsedData();
    const msg = Buffer.from('0202' + '0001' + '0002' + '0003' + 'aaaaaa' + 'ff03' + 'c021', 'hex');
    expect(parseDataMessage(msg, 0, msg.length, out)).toBe('data');
    expect(msg.subarray(out.payloadOffset, out.payloadOffset + out.payloadLength).toString('hex')).toBe(
      'c021',
    );
    expect(parseDataMessage(msg, 0, 4, out)).toBe('short');
    const badOffset = Buffer.from('0202000100020040c021', 'hex');
    expect(parseDataMessage(badOffset, 0, badOffset.length, out)).toBe('bad-length');
    expect(parseDataMessage(Buffer.from('4002ffff00010002', 'hex'), 0, 8, out)).toBe('bad-length');
    expect(parseDataMessage(Buffer.from('000300010002', 'hex'), 0, 6, out)).toBe('bad-version');
    expect(parseDataMessage(Buffer.from('c80200010002', 'hex'), 0, 6, out)).toBe('control');
  });
});

describe('message codec properties', () => {
  const u16 = fc.integer({ min: 0, max: 0xffff });
  const u32 = fc.integer({ min: 0, max: 0xffffffff });
  const str = fc.string({ maxLength: 40 }).map((s) => Buffer.from(s, 'utf8').toString('latin1'));
  const icrq = fc.record(
    {
      type: fc.constant(MessageType.ICRQ as number),
      assignedSessionId: u16,
      callSerialNumber: u32,
      bearerType: u32,
      physicalChannelId: u32,
      calledNumber: str,
      callingNumber: str,
      subAddress: str,
    },
    { requiredKeys: ['type', 'assignedSessionId', 'callSerialNumber'] },
  );
  const stop = fc.record({
    type: fc.constant(MessageType.StopCCN as number),
    assignedTunnelId: u16,
    resultCode: fc.record({
      result: fc.integer({ min: 1, max: 255 }),
      error: fc.integer({ min: 0, max: 255 }),
    }),
  });

  it('decode(encode(m)) = m, in the clear and hidden (section 4.3)', () => {
    const secret = Buffer.from('prop-secret');
    fc.assert(
      fc.property(fc.oneof(icrq, stop), fc.boolean(), (m, hidden) => {
        const rng = (n: number) => Buffer.alloc(n, 0x5a);
        const body = encodeMessage(m as ControlMessage, hidden ? { secret, rng } : undefined);
        const d = decodeMessage(body, secret);
        expect(d.error).toBeUndefined();
        expect(d.message).toEqual(m);
      }),
      { numRuns: 300, seed: 7 },
    );
  });
});

/**
 * Value codecs for the AVPs of RFC 2661 section 4.4, each checking the length the RFC gives. A wrong length
 * throws `AvpValueError`; the message layer turns it into General Error / "Length is wrong" (section 4.4.2).
 */

export class AvpValueError extends Error {
  override readonly name = 'AvpValueError';
}

export interface ValueCodec<T> {
  encode(v: T): Buffer;
  decode(b: Buffer): T;
}

function fixed(b: Buffer, n: number): void {
  if (b.length !== n) throw new AvpValueError(`value is ${b.length} bytes, expected ${n}`);
}

export const u16: ValueCodec<number> = {
  encode(v) {
    const b = Buffer.allocUnsafe(2);
    b.writeUInt16BE(v, 0);
    return b;
  },
  decode(b) {
    fixed(b, 2);
    return b.readUInt16BE(0);
  },
};

export const u32: ValueCodec<number> = {
  encode(v) {
    const b = Buffer.allocUnsafe(4);
    b.writeUInt32BE(v >>> 0, 0);
    return b;
  },
  decode(b) {
    fixed(b, 4);
    return b.readUInt32BE(0);
  },
};

export const bytes: ValueCodec<Buffer> = {
  encode: (v) => Buffer.from(v),
  decode: (b) => Buffer.from(b),
};

export function bytesOf(n: number): ValueCodec<Buffer> {
  return {
    encode(v) {
      if (v.length !== n) throw new RangeError(`value must be ${n} bytes`);
      return Buffer.from(v);
    },
    decode(b) {
      fixed(b, n);
      return Buffer.from(b);
    },
  };
}

/** Non-empty octet string (Challenge, section 4.4.3: one or more octets). */
export const nonEmptyBytes: ValueCodec<Buffer> = {
  encode: (v) => Buffer.from(v),
  decode(b) {
    if (b.length === 0) throw new AvpValueError('empty value');
    return Buffer.from(b);
  },
};

/** Host Name, Vendor Name, numbers: arbitrary octets, read as latin1 so every byte round-trips. */
export const text: ValueCodec<string> = {
  encode: (v) => Buffer.from(v, 'latin1'),
  decode: (b) => b.toString('latin1'),
};

/** Sequencing Required (section 4.4.6): no value. */
export const empty: ValueCodec<true> = {
  encode: () => Buffer.alloc(0),
  decode(b) {
    fixed(b, 0);
    return true;
  },
};

export interface ProtocolVersion {
  readonly version: number;
  readonly revision: number;
}

/** Protocol Version (section 4.4.3): Ver 1, Rev 0 for RFC 2661. */
export const protocolVersion: ValueCodec<ProtocolVersion> = {
  encode: (v) => Buffer.from([v.version, v.revision]),
  decode(b) {
    fixed(b, 2);
    return { version: b[0], revision: b[1] };
  },
};

export interface ResultCodeValue {
  readonly result: number;
  readonly error?: number;
  readonly message?: string;
}

/**
 * Apple's L2TP client writes these 16-bit fields little-endian. A value whose low byte is zero and high byte
 * is not is never a defined code (all codes are below 256), so it is read byte-swapped.
 */
function appleFix(v: number): number {
  return (v & 0xff) === 0 && v >> 8 !== 0 ? v >> 8 : v;
}

/** Result Code (section 4.4.2): Result Code, optional Error Code, optional Error Message. */
export const resultCode: ValueCodec<ResultCodeValue> = {
  encode(v) {
    const msg = v.message !== undefined ? Buffer.from(v.message, 'utf8') : undefined;
    const withError = v.error !== undefined || msg !== undefined;
    const b = Buffer.alloc(2 + (withError ? 2 : 0) + (msg?.length ?? 0));
    b.writeUInt16BE(v.result, 0);
    if (withError) b.writeUInt16BE(v.error ?? 0, 2);
    if (msg) msg.copy(b, 4);
    return b;
  },
  decode(b) {
    if (b.length !== 2 && b.length < 4) throw new AvpValueError(`Result Code value is ${b.length} bytes`);
    const result = appleFix(b.readUInt16BE(0));
    if (b.length === 2) return { result };
    const error = appleFix(b.readUInt16BE(2));
    if (b.length === 4) return { result, error };
    return { result, error, message: b.subarray(4).toString('utf8') };
  },
};

export interface Q931Cause {
  readonly cause: number;
  readonly message: number;
  readonly advisory?: string;
}

/** Q.931 Cause Code (section 4.4.10): Cause Code (2), Cause Msg (1), optional Advisory Msg. */
export const q931Cause: ValueCodec<Q931Cause> = {
  encode(v) {
    const adv = v.advisory !== undefined ? Buffer.from(v.advisory, 'utf8') : Buffer.alloc(0);
    const b = Buffer.alloc(3 + adv.length);
    b.writeUInt16BE(v.cause, 0);
    b[2] = v.message;
    adv.copy(b, 3);
    return b;
  },
  decode(b) {
    if (b.length < 3) throw new AvpValueError(`Q.931 Cause Code value is ${b.length} bytes`);
    const v = { cause: b.readUInt16BE(0), message: b[2] };
    return b.length > 3 ? { ...v, advisory: b.subarray(3).toString('utf8') } : v;
  },
};

export interface CallErrors {
  readonly crcErrors: number;
  readonly framingErrors: number;
  readonly hardwareOverruns: number;
  readonly bufferOverruns: number;
  readonly timeoutErrors: number;
  readonly alignmentErrors: number;
}

const CALL_ERROR_KEYS = [
  'crcErrors',
  'framingErrors',
  'hardwareOverruns',
  'bufferOverruns',
  'timeoutErrors',
  'alignmentErrors',
] as const;

/** Call Errors (section 4.4.9): 2 reserved octets then six 32-bit counters. */
export const callErrors: ValueCodec<CallErrors> = {
  encode(v) {
    const b = Buffer.alloc(26);
    CALL_ERROR_KEYS.forEach((k, i) => {
      b.writeUInt32BE(v[k] >>> 0, 2 + 4 * i);
    });
    return b;
  },
  decode(b) {
    fixed(b, 26);
    const out: Record<string, number> = {};
    CALL_ERROR_KEYS.forEach((k, i) => {
      out[k] = b.readUInt32BE(2 + 4 * i);
    });
    return out as unknown as CallErrors;
  },
};

export interface Accm {
  readonly send: number;
  readonly receive: number;
}

/** ACCM (section 4.4.9): 2 reserved octets, Send ACCM, Receive ACCM. */
export const accm: ValueCodec<Accm> = {
  encode(v) {
    const b = Buffer.alloc(10);
    b.writeUInt32BE(v.send >>> 0, 2);
    b.writeUInt32BE(v.receive >>> 0, 6);
    return b;
  },
  decode(b) {
    fixed(b, 10);
    return { send: b.readUInt32BE(2), receive: b.readUInt32BE(6) };
  },
};

/** Proxy Authen ID (section 4.4.5): a reserved octet, then the CHAP ID. */
export const proxyAuthenId: ValueCodec<number> = {
  encode: (v) => Buffer.from([0, v]),
  decode(b) {
    fixed(b, 2);
    return b[1];
  },
};

/**
 * The DES block cipher (FIPS 46-3) in TypeScript, for the noble backend: noble has no DES, and the backend
 * must compute 3DES-CBC (RFC 2451) independently of OpenSSL for the cross-backend property tests. The hot
 * path uses OpenSSL (node backend); this code favours clarity and table-driven rounds over speed.
 * Bits are numbered as in FIPS 46-3: bit 1 is the most significant bit of the first byte.
 */

// FIPS 46-3: initial permutation IP.
const IP = [
  58, 50, 42, 34, 26, 18, 10, 2, 60, 52, 44, 36, 28, 20, 12, 4, 62, 54, 46, 38, 30, 22, 14, 6, 64, 56, 48, 40,
  32, 24, 16, 8, 57, 49, 41, 33, 25, 17, 9, 1, 59, 51, 43, 35, 27, 19, 11, 3, 61, 53, 45, 37, 29, 21, 13, 5,
  63, 55, 47, 39, 31, 23, 15, 7,
];

// FIPS 46-3: the permutation P applied to the S-box outputs.
const P = [
  16, 7, 20, 21, 29, 12, 28, 17, 1, 15, 23, 26, 5, 18, 31, 10, 2, 8, 24, 14, 32, 27, 3, 9, 19, 13, 30, 6, 22,
  11, 4, 25,
];

// FIPS 46-3: permuted choices 1 and 2 and the key-schedule left shifts.
const PC1 = [
  57, 49, 41, 33, 25, 17, 9, 1, 58, 50, 42, 34, 26, 18, 10, 2, 59, 51, 43, 35, 27, 19, 11, 3, 60, 52, 44, 36,
  63, 55, 47, 39, 31, 23, 15, 7, 62, 54, 46, 38, 30, 22, 14, 6, 61, 53, 45, 37, 29, 21, 13, 5, 28, 20, 12, 4,
];
const PC2 = [
  14, 17, 11, 24, 1, 5, 3, 28, 15, 6, 21, 10, 23, 19, 12, 4, 26, 8, 16, 7, 27, 20, 13, 2, 41, 52, 31, 37, 47,
  55, 30, 40, 51, 45, 33, 48, 44, 49, 39, 56, 34, 53, 46, 42, 50, 36, 29, 32,
];
const SHIFTS = [1, 1, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 1];

// FIPS 46-3: the eight S-boxes, each 4 rows of 16.
const S = [
  [
    14, 4, 13, 1, 2, 15, 11, 8, 3, 10, 6, 12, 5, 9, 0, 7, 0, 15, 7, 4, 14, 2, 13, 1, 10, 6, 12, 11, 9, 5, 3,
    8, 4, 1, 14, 8, 13, 6, 2, 11, 15, 12, 9, 7, 3, 10, 5, 0, 15, 12, 8, 2, 4, 9, 1, 7, 5, 11, 3, 14, 10, 0, 6,
    13,
  ],
  [
    15, 1, 8, 14, 6, 11, 3, 4, 9, 7, 2, 13, 12, 0, 5, 10, 3, 13, 4, 7, 15, 2, 8, 14, 12, 0, 1, 10, 6, 9, 11,
    5, 0, 14, 7, 11, 10, 4, 13, 1, 5, 8, 12, 6, 9, 3, 2, 15, 13, 8, 10, 1, 3, 15, 4, 2, 11, 6, 7, 12, 0, 5,
    14, 9,
  ],
  [
    10, 0, 9, 14, 6, 3, 15, 5, 1, 13, 12, 7, 11, 4, 2, 8, 13, 7, 0, 9, 3, 4, 6, 10, 2, 8, 5, 14, 12, 11, 15,
    1, 13, 6, 4, 9, 8, 15, 3, 0, 11, 1, 2, 12, 5, 10, 14, 7, 1, 10, 13, 0, 6, 9, 8, 7, 4, 15, 14, 3, 11, 5, 2,
    12,
  ],
  [
    7, 13, 14, 3, 0, 6, 9, 10, 1, 2, 8, 5, 11, 12, 4, 15, 13, 8, 11, 5, 6, 15, 0, 3, 4, 7, 2, 12, 1, 10, 14,
    9, 10, 6, 9, 0, 12, 11, 7, 13, 15, 1, 3, 14, 5, 2, 8, 4, 3, 15, 0, 6, 10, 1, 13, 8, 9, 4, 5, 11, 12, 7, 2,
    14,
  ],
  [
    2, 12, 4, 1, 7, 10, 11, 6, 8, 5, 3, 15, 13, 0, 14, 9, 14, 11, 2, 12, 4, 7, 13, 1, 5, 0, 15, 10, 3, 9, 8,
    6, 4, 2, 1, 11, 10, 13, 7, 8, 15, 9, 12, 5, 6, 3, 0, 14, 11, 8, 12, 7, 1, 14, 2, 13, 6, 15, 0, 9, 10, 4,
    5, 3,
  ],
  [
    12, 1, 10, 15, 9, 2, 6, 8, 0, 13, 3, 4, 14, 7, 5, 11, 10, 15, 4, 2, 7, 12, 9, 5, 6, 1, 13, 14, 0, 11, 3,
    8, 9, 14, 15, 5, 2, 8, 12, 3, 7, 0, 4, 10, 1, 13, 11, 6, 4, 3, 2, 12, 9, 5, 15, 10, 11, 14, 1, 7, 6, 0, 8,
    13,
  ],
  [
    4, 11, 2, 14, 15, 0, 8, 13, 3, 12, 9, 7, 5, 10, 6, 1, 13, 0, 11, 7, 4, 9, 1, 10, 14, 3, 5, 12, 2, 15, 8,
    6, 1, 4, 11, 13, 12, 3, 7, 14, 10, 15, 6, 8, 0, 5, 9, 2, 6, 11, 13, 8, 1, 4, 10, 7, 9, 5, 0, 15, 14, 2, 3,
    12,
  ],
  [
    13, 2, 8, 4, 6, 15, 11, 1, 10, 9, 3, 14, 5, 0, 12, 7, 1, 15, 13, 8, 10, 3, 7, 4, 12, 5, 6, 11, 0, 14, 9,
    2, 7, 11, 4, 1, 9, 12, 14, 2, 0, 6, 10, 13, 15, 3, 5, 8, 2, 1, 14, 7, 4, 10, 8, 13, 15, 12, 9, 0, 3, 5, 6,
    11,
  ],
];

/** S-box i followed by P, indexed by the 6-bit S-box input: the round function is eight lookups and ORs. */
const SP: Uint32Array[] = S.map((box, i) => {
  const t = new Uint32Array(64);
  for (let x = 0; x < 64; x++) {
    // FIPS 46-3: the outer bits pick the row, the inner four the column.
    const row = ((x >> 4) & 2) | (x & 1);
    const col = (x >> 1) & 15;
    const pre = box[row * 16 + col] << (28 - 4 * i);
    let out = 0;
    for (let j = 0; j < 32; j++) out |= ((pre >>> (32 - P[j])) & 1) << (31 - j);
    t[x] = out >>> 0;
  }
  return t;
});

function bit64(hi: number, lo: number, pos: number): number {
  return pos <= 32 ? (hi >>> (32 - pos)) & 1 : (lo >>> (64 - pos)) & 1;
}

/** Applies a 64-bit permutation table given as FIPS positions; returns [hi, lo]. */
function permute64(hi: number, lo: number, table: readonly number[]): [number, number] {
  let oh = 0;
  let ol = 0;
  for (let j = 0; j < 32; j++) oh = (oh << 1) | bit64(hi, lo, table[j]);
  for (let j = 32; j < 64; j++) ol = (ol << 1) | bit64(hi, lo, table[j]);
  return [oh >>> 0, ol >>> 0];
}

const FP: number[] = (() => {
  const inv = new Array<number>(64);
  for (let j = 0; j < 64; j++) inv[IP[j] - 1] = j + 1;
  return inv;
})();

/** The 16 round keys, each as eight 6-bit S-box inputs (FIPS 46-3 key schedule). */
export type DesSchedule = Uint8Array;

export function desKeySchedule(key8: Uint8Array): DesSchedule {
  const hi = ((key8[0] << 24) | (key8[1] << 16) | (key8[2] << 8) | key8[3]) >>> 0;
  const lo = ((key8[4] << 24) | (key8[5] << 16) | (key8[6] << 8) | key8[7]) >>> 0;
  let c = 0;
  let d = 0;
  for (let j = 0; j < 28; j++) c = (c << 1) | bit64(hi, lo, PC1[j]);
  for (let j = 28; j < 56; j++) d = (d << 1) | bit64(hi, lo, PC1[j]);
  const ks = new Uint8Array(16 * 8);
  for (let r = 0; r < 16; r++) {
    const s = SHIFTS[r];
    c = ((c << s) | (c >>> (28 - s))) & 0xfffffff;
    d = ((d << s) | (d >>> (28 - s))) & 0xfffffff;
    for (let i = 0; i < 8; i++) {
      let v = 0;
      for (let j = 0; j < 6; j++) {
        const pos = PC2[6 * i + j];
        const b = pos <= 28 ? (c >>> (28 - pos)) & 1 : (d >>> (56 - pos)) & 1;
        v = (v << 1) | b;
      }
      ks[r * 8 + i] = v;
    }
  }
  return ks;
}

function feistel(r: number, ks: DesSchedule, round: number): number {
  let f = 0;
  for (let i = 0; i < 8; i++) {
    // E expansion: S-box i sees R bits 4i .. 4i+5 (FIPS positions, cyclic), i.e. R rotated left 4i-1.
    const k = (4 * i + 31) & 31;
    const e = (((r << k) | (r >>> (32 - k))) >>> 26) & 0x3f;
    f |= SP[i][e ^ ks[round * 8 + i]];
  }
  return f >>> 0;
}

/** One DES block in place of `out[outOff..+8]` from `inp[inOff..+8]`; `decrypt` runs the schedule backwards. */
export function desBlock(
  ks: DesSchedule,
  decrypt: boolean,
  inp: Uint8Array,
  inOff: number,
  out: Uint8Array,
  outOff: number,
): void {
  const hi = ((inp[inOff] << 24) | (inp[inOff + 1] << 16) | (inp[inOff + 2] << 8) | inp[inOff + 3]) >>> 0;
  const lo = ((inp[inOff + 4] << 24) | (inp[inOff + 5] << 16) | (inp[inOff + 6] << 8) | inp[inOff + 7]) >>> 0;
  let [l, r] = permute64(hi, lo, IP);
  for (let n = 0; n < 16; n++) {
    const t = (l ^ feistel(r, ks, decrypt ? 15 - n : n)) >>> 0;
    l = r;
    r = t;
  }
  // The last round is not swapped: the preoutput is R16 ‖ L16.
  const [oh, ol] = permute64(r, l, FP);
  out[outOff] = oh >>> 24;
  out[outOff + 1] = oh >>> 16;
  out[outOff + 2] = oh >>> 8;
  out[outOff + 3] = oh;
  out[outOff + 4] = ol >>> 24;
  out[outOff + 5] = ol >>> 16;
  out[outOff + 6] = ol >>> 8;
  out[outOff + 7] = ol;
}

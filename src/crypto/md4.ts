/**
 * MD4 (RFC 1320), needed only for MS-CHAP's NtPasswordHash (RFC 2759 section 8.3). Node 20's OpenSSL 3
 * ships MD4 in the legacy provider only, and @noble/hashes has none, so it is written here.
 */

// RFC 1320 section 3.4: the round constants for rounds 2 and 3.
const R2 = 0x5a827999;
const R3 = 0x6ed9eba1;

function rotl(x: number, s: number): number {
  return (x << s) | (x >>> (32 - s));
}

export function md4(data: Uint8Array): Buffer {
  // RFC 1320 sections 3.1-3.2: pad with 0x80, zeros to 56 mod 64, then the bit length little-endian.
  const padded = Buffer.alloc((((data.length + 8) >> 6) + 1) * 64);
  padded.set(data);
  padded[data.length] = 0x80;
  const bits = data.length * 8;
  padded.writeUInt32LE(bits >>> 0, padded.length - 8);
  padded.writeUInt32LE(Math.floor(bits / 0x100000000), padded.length - 4);

  // RFC 1320 section 3.3: the initial buffer.
  let a = 0x67452301;
  let b = 0xefcdab89;
  let c = 0x98badcfe;
  let d = 0x10325476;
  const x = new Int32Array(16);
  for (let off = 0; off < padded.length; off += 64) {
    for (let i = 0; i < 16; i++) x[i] = padded.readInt32LE(off + 4 * i);
    const aa = a;
    const bb = b;
    const cc = c;
    const dd = d;
    // Round 1: F(X,Y,Z) = XY v not(X) Z.
    for (let i = 0; i < 16; i += 4) {
      a = rotl((a + ((b & c) | (~b & d)) + x[i]) | 0, 3);
      d = rotl((d + ((a & b) | (~a & c)) + x[i + 1]) | 0, 7);
      c = rotl((c + ((d & a) | (~d & b)) + x[i + 2]) | 0, 11);
      b = rotl((b + ((c & d) | (~c & a)) + x[i + 3]) | 0, 19);
    }
    // Round 2: G(X,Y,Z) = XY v XZ v YZ, words taken column-wise.
    for (let i = 0; i < 4; i++) {
      a = rotl((a + ((b & c) | (b & d) | (c & d)) + x[i] + R2) | 0, 3);
      d = rotl((d + ((a & b) | (a & c) | (b & c)) + x[i + 4] + R2) | 0, 5);
      c = rotl((c + ((d & a) | (d & b) | (a & b)) + x[i + 8] + R2) | 0, 9);
      b = rotl((b + ((c & d) | (c & a) | (d & a)) + x[i + 12] + R2) | 0, 13);
    }
    // Round 3: H(X,Y,Z) = X xor Y xor Z, words in bit-reversed order.
    for (const i of [0, 2, 1, 3]) {
      a = rotl((a + (b ^ c ^ d) + x[i] + R3) | 0, 3);
      d = rotl((d + (a ^ b ^ c) + x[i + 8] + R3) | 0, 9);
      c = rotl((c + (d ^ a ^ b) + x[i + 4] + R3) | 0, 11);
      b = rotl((b + (c ^ d ^ a) + x[i + 12] + R3) | 0, 15);
    }
    a = (a + aa) | 0;
    b = (b + bb) | 0;
    c = (c + cc) | 0;
    d = (d + dd) | 0;
  }
  const out = Buffer.alloc(16);
  out.writeInt32LE(a, 0);
  out.writeInt32LE(b, 4);
  out.writeInt32LE(c, 8);
  out.writeInt32LE(d, 12);
  return out;
}

import { execFileSync } from 'node:child_process';
import { createCipheriv, createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { espSaRecord, parseXfrmState, tsharkDecryptArgs, type XfrmEspState } from './esp-keys.js';

// `ip xfrm state` as the guest's kernel (Debian 12, 6.1) printed it for the self-test's manual SA.
const CBC_SHA1 = `src 192.0.2.10 dst 192.0.2.1
\tproto esp spi 0x5e1f7e57 reqid 1 mode transport
\treplay-window 0 
\tauth-trunc hmac(sha1) 0x101112131415161718191a1b1c1d1e1f20212223 96
\tenc cbc(aes) 0x000102030405060708090a0b0c0d0e0f
\tencap type espinudp sport 4500 dport 4500 addr 0.0.0.0
\tanti-replay context: seq 0x0, oseq 0x0, bitmap 0x00000000
\tsel src 0.0.0.0/0 dst 0.0.0.0/0 
`;
// The same layout for an AEAD SA (key = 16-byte AES key + 4-byte salt, RFC 4106 section 8.1) and 3DES.
const GCM_AND_3DES = `src 10.0.2.2 dst 10.0.2.15
\tproto esp spi 0xc0ffee01 reqid 1 mode transport
\treplay-window 32 
\taead rfc4106(gcm(aes)) 0x000102030405060708090a0b0c0d0e0fa0a1a2a3 128
\tencap type espinudp sport 4500 dport 4500 addr 0.0.0.0
\tsel src 10.0.2.2/32 dst 10.0.2.15/32 proto udp sport 1701 dport 1701 
src 10.0.2.15 dst 10.0.2.2
\tproto esp spi 0xc0ffee02 reqid 1 mode transport
\treplay-window 0 
\tauth-trunc hmac(sha256) 0x${'22'.repeat(32)} 128
\tenc cbc(des3_ede) 0x${'33'.repeat(24)}
\tsel src 10.0.2.15/32 dst 10.0.2.2/32 proto udp sport 1701 dport 1701 
src 10.0.2.15 dst 10.0.2.2
\tproto comp spi 0x00001234 reqid 1 mode transport
`;

describe('ESP keys from ip xfrm state to Wireshark esp_sa records', () => {
  it('parses CBC+HMAC, AEAD and 3DES states and skips non-ESP ones', () => {
    const states = [...parseXfrmState(CBC_SHA1), ...parseXfrmState(GCM_AND_3DES)];
    expect(states.map((s) => s.spi)).toEqual(['0x5e1f7e57', '0xc0ffee01', '0xc0ffee02']);
    expect(states[0]).toEqual({
      src: '192.0.2.10',
      dst: '192.0.2.1',
      spi: '0x5e1f7e57',
      enc: { alg: 'cbc(aes)', key: '0x000102030405060708090a0b0c0d0e0f', aead: false, icvBits: undefined },
      auth: { alg: 'hmac(sha1)', key: '0x101112131415161718191a1b1c1d1e1f20212223', truncBits: 96 },
    });
    expect(states[1].enc).toEqual({
      alg: 'rfc4106(gcm(aes))',
      key: '0x000102030405060708090a0b0c0d0e0fa0a1a2a3',
      aead: true,
      icvBits: 128,
    });
    expect(states[1].auth).toBeUndefined();
  });

  it('writes records with the algorithm names of Wireshark 4.0 (packet-ipsec.c)', () => {
    const [cbc, gcm, tdes] = [...parseXfrmState(CBC_SHA1), ...parseXfrmState(GCM_AND_3DES)];
    expect(espSaRecord(cbc)).toBe(
      '"IPv4","*","*","0x5e1f7e57","AES-CBC [RFC3602]","0x000102030405060708090a0b0c0d0e0f",' +
        '"HMAC-SHA-1-96 [RFC2404]","0x101112131415161718191a1b1c1d1e1f20212223"',
    );
    expect(espSaRecord(gcm)).toContain(
      '"AES-GCM with 16 octet ICV [RFC4106]","0x000102030405060708090a0b0c0d0e0fa0a1a2a3","NULL",""',
    );
    expect(espSaRecord(tdes)).toContain('"TripleDES-CBC [RFC2451]"');
    expect(espSaRecord(tdes)).toContain('"HMAC-SHA-256-128 [RFC4868]"');
  });

  it('refuses algorithms it has no Wireshark name for', () => {
    const [s] = parseXfrmState(CBC_SHA1);
    expect(() => espSaRecord({ ...s, enc: { ...s.enc, alg: 'cbc(serpent)' } })).toThrow(/no Wireshark name/);
    expect(() => espSaRecord({ ...s, auth: { alg: 'hmac(sha1)', key: '0x00', truncBits: 160 } })).toThrow();
  });
});

/** One IPv4/UDP 4500/ESP (RFC 3948) packet carrying UDP 1701, sealed per RFC 4303 with the given SA. */
function espPacket(s: XfrmEspState): Buffer {
  const inner = Buffer.from('06a506a5000c0000c8020000', 'hex'); // UDP 1701→1701, 4 bytes of L2TP
  const key = Buffer.from(s.enc.key.slice(2), 'hex');
  const block = s.enc.aead ? 4 : s.enc.alg === 'cbc(aes)' ? 16 : 8;
  const padLen = (block - ((inner.length + 2) % block)) % block;
  const pad = Buffer.from(Array.from({ length: padLen }, (_, i) => i + 1));
  const plain = Buffer.concat([inner, pad, Buffer.from([padLen, 17])]);
  const head = Buffer.from(`${s.spi.slice(2)}00000001`, 'hex');
  let body: Buffer;
  if (s.enc.aead) {
    const iv = Buffer.from('0102030405060708', 'hex');
    const c = createCipheriv('aes-128-gcm', key.subarray(0, 16), Buffer.concat([key.subarray(16), iv]));
    c.setAAD(head);
    body = Buffer.concat([iv, c.update(plain), c.final(), c.getAuthTag()]);
  } else {
    const iv = Buffer.alloc(block, 7);
    const c = createCipheriv(s.enc.alg === 'cbc(aes)' ? 'aes-128-cbc' : 'des-ede3-cbc', key, iv);
    c.setAutoPadding(false);
    const ct = Buffer.concat([iv, c.update(plain), c.final()]);
    const hash = s.auth!.alg.slice(5, -1);
    const icv = createHmac(hash, Buffer.from(s.auth!.key.slice(2), 'hex'))
      .update(Buffer.concat([head, ct]))
      .digest()
      .subarray(0, s.auth!.truncBits / 8);
    body = Buffer.concat([ct, icv]);
  }
  const esp = Buffer.concat([head, body]);
  const udp = Buffer.alloc(8);
  udp.writeUInt16BE(4500, 0);
  udp.writeUInt16BE(4500, 2);
  udp.writeUInt16BE(8 + esp.length, 4);
  const ip = Buffer.from('450000000000400040110000c0000201c0000202', 'hex');
  ip.writeUInt16BE(20 + 8 + esp.length, 2);
  return Buffer.concat([ip, udp, esp]);
}

function pcap(packets: readonly Buffer[]): Buffer {
  const global = Buffer.from('d4c3b2a1020004000000000000000000ffff000065000000', 'hex'); // LINKTYPE_RAW
  const records = packets.map((p, i) => {
    const h = Buffer.alloc(16);
    h.writeUInt32LE(1_700_000_000 + i, 0);
    h.writeUInt32LE(p.length, 8);
    h.writeUInt32LE(p.length, 12);
    return Buffer.concat([h, p]);
  });
  return Buffer.concat([global, ...records]);
}

describe('tshark decrypts with the generated records', () => {
  it('opens ESP-in-UDP sealed with AES-CBC/SHA-1, AES-GCM and 3DES/SHA-256 down to the inner UDP 1701', () => {
    const states = [...parseXfrmState(CBC_SHA1), ...parseXfrmState(GCM_AND_3DES)];
    const dir = mkdtempSync(join(tmpdir(), 'l2s-esp-keys-'));
    try {
      const file = join(dir, 'esp.pcap');
      writeFileSync(file, pcap(states.map(espPacket)));
      const fields = (extra: string[]) =>
        execFileSync('tshark', ['-r', file, ...extra, '-T', 'fields', '-e', 'esp.spi', '-e', 'udp.port'], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'ignore'],
        })
          .trim()
          .split('\n');
      // Without keys only the outer UDP 4500 is visible; with them the inner UDP 1701 appears.
      expect(fields([]).every((l) => !l.includes('1701'))).toBe(true);
      const decrypted = fields(tsharkDecryptArgs(states));
      expect(decrypted).toHaveLength(3);
      for (const l of decrypted) expect(l).toMatch(/4500,4500,1701,1701$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CIPHERS, type CipherSpec, INTEGRITY, type IntegritySpec } from '../../src/crypto/registry.js';
import { EspSa } from '../../src/esp/sa.js';
import { encodeNatKeepalive } from '../../src/esp/udp-encap.js';
import { ipv4, pcapFile, udp } from './pcap.js';
import { bytes } from './suites.js';

/**
 * Wireshark decrypts what we seal: ESP packets written to a pcap by l2tpsec, decrypted and authenticated by
 * tshark from the keys alone (its own ESP implementation, packet-ipsec.c), and the inner packets compared.
 */

const hasTshark = spawnSync('tshark', ['--version'], { stdio: 'ignore' }).status === 0;
// Without tshark the test skips (scripts/test-env.sh installs it); under CI=true it runs and fails instead.
const skip = !hasTshark && process.env.CI !== 'true';
if (skip)
  console.warn('tshark not installed: skipping the Wireshark decryption test (run scripts/test-env.sh)');
const dir = mkdtempSync(join(tmpdir(), 'l2s-esp-tshark-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Addresses are only written into a file; nothing is sent.
const CLIENT = '192.0.2.10';
const SERVER = '192.0.2.1';

interface Case {
  readonly label: string;
  readonly cipher: CipherSpec;
  readonly keyBits: number;
  readonly integrity: IntegritySpec | 'none';
  readonly mode: 'transport' | 'tunnel';
  readonly encap: 'raw' | 'udp';
  /** Wireshark's names (packet-ipsec.c, esp_encryption_type_vals / esp_authentication_type_vals). */
  readonly wsCipher: string;
  readonly wsAuth: string;
}

const CASES: readonly Case[] = [
  {
    label: 'aes128-sha1 transport raw',
    cipher: CIPHERS['aes-cbc'],
    keyBits: 128,
    integrity: INTEGRITY['hmac-sha1-96'],
    mode: 'transport',
    encap: 'raw',
    wsCipher: 'AES-CBC [RFC3602]',
    wsAuth: 'HMAC-SHA-1-96 [RFC2404]',
  },
  {
    label: 'aes256-sha256 tunnel udp-encap',
    cipher: CIPHERS['aes-cbc'],
    keyBits: 256,
    integrity: INTEGRITY['hmac-sha256-128'],
    mode: 'tunnel',
    encap: 'udp',
    wsCipher: 'AES-CBC [RFC3602]',
    wsAuth: 'HMAC-SHA-256-128 [RFC4868]',
  },
  {
    label: '3des-md5 transport udp-encap',
    cipher: CIPHERS['3des-cbc'],
    keyBits: 192,
    integrity: INTEGRITY['hmac-md5-96'],
    mode: 'transport',
    encap: 'udp',
    wsCipher: 'TripleDES-CBC [RFC2451]',
    wsAuth: 'HMAC-MD5-96 [RFC2403]',
  },
  {
    label: 'aes192-sha384 transport raw',
    cipher: CIPHERS['aes-cbc'],
    keyBits: 192,
    integrity: INTEGRITY['hmac-sha384-192'],
    mode: 'transport',
    encap: 'raw',
    wsCipher: 'AES-CBC [RFC3602]',
    wsAuth: 'HMAC-SHA-384-192 [RFC4868]',
  },
  {
    label: 'aes256-sha512 tunnel raw',
    cipher: CIPHERS['aes-cbc'],
    keyBits: 256,
    integrity: INTEGRITY['hmac-sha512-256'],
    mode: 'tunnel',
    encap: 'raw',
    wsCipher: 'AES-CBC [RFC3602]',
    wsAuth: 'HMAC-SHA-512-256 [RFC4868]',
  },
  {
    label: 'aes128-gcm16 transport udp-encap',
    cipher: CIPHERS['aes-gcm-16'],
    keyBits: 128,
    integrity: 'none',
    mode: 'transport',
    encap: 'udp',
    wsCipher: 'AES-GCM with 16 octet ICV [RFC4106]',
    wsAuth: 'NULL',
  },
];

const PER_CASE = 3;

describe('tshark decrypts the ESP packets l2tpsec seals', () => {
  it.skipIf(skip)('every suite, both modes, raw and UDP-encapsulated: inner packets match', () => {
    const frames: Buffer[] = [];
    const expected: string[] = [];
    const uat: string[] = [];
    CASES.forEach((c, ci) => {
      const spi = 0x10000 + ci;
      const encryptionKey = bytes(`ws-enc-${ci}`, c.keyBits / 8 + c.cipher.saltSize);
      const integrityKey = c.integrity === 'none' ? undefined : bytes(`ws-int-${ci}`, c.integrity.keySize);
      const sa = new EspSa({
        spi,
        direction: 'outbound',
        mode: c.mode,
        cipher: c.cipher,
        keyBits: c.keyBits,
        encryptionKey,
        integrity: c.integrity,
        integrityKey,
        peer: { address: CLIENT, port: c.encap === 'udp' ? 4500 : undefined },
      });
      uat.push(
        `"IPv4","${SERVER}","${CLIENT}","0x${spi.toString(16).padStart(8, '0')}","${c.wsCipher}",` +
          `"0x${encryptionKey.toString('hex')}","${c.wsAuth}","0x${integrityKey?.toString('hex') ?? ''}"`,
      );
      for (let i = 0; i < PER_CASE; i++) {
        const data = bytes(`ws-data-${ci}-${i}`, 20 + 37 * i);
        const srcPort = 40000 + ci;
        const dstPort = 41000 + i;
        const transportPayload = udp(srcPort, dstPort, data);
        const payload =
          c.mode === 'tunnel' ? ipv4('10.255.0.1', '10.255.0.2', 17, transportPayload) : transportPayload;
        const out = Buffer.alloc(payload.length + 100);
        const n = sa.sealInto(payload, c.mode === 'tunnel' ? 4 : 17, out, 0);
        const esp = out.subarray(0, n);
        frames.push(
          c.encap === 'udp' ? ipv4(SERVER, CLIENT, 17, udp(4500, 4500, esp)) : ipv4(SERVER, CLIENT, 50, esp),
        );
        expected.push([spi, i + 1, srcPort, dstPort, data.toString('hex')].join('|'));
      }
      if (c.encap === 'udp') frames.push(ipv4(CLIENT, SERVER, 17, udp(4500, 4500, encodeNatKeepalive())));
    });
    const file = join(dir, 'esp.pcap');
    writeFileSync(file, pcapFile(frames));

    const args = [
      '-r',
      file,
      '-o',
      'esp.enable_encryption_decode:TRUE',
      '-o',
      'esp.enable_authentication_check:TRUE',
      ...uat.flatMap((u) => ['-o', `uat:esp_sa:${u}`]),
      '-Y',
      'esp',
      '-T',
      'fields',
      '-E',
      'occurrence=l',
      '-E',
      'separator=|',
      '-e',
      'esp.spi',
      '-e',
      'esp.sequence',
      '-e',
      'udp.srcport',
      '-e',
      'udp.dstport',
      '-e',
      'data.data',
      '-e',
      'esp.icv_good',
    ];
    const output = execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const lines = output.trim().split('\n');
    expect(lines.length).toBe(expected.length);
    lines.forEach((line, i) => {
      const [spi, seq, sport, dport, data, icvGood] = line.split('|');
      const got = [Number(spi), Number(seq), Number(sport), Number(dport), data.replaceAll(':', '')].join(
        '|',
      );
      expect(got, `frame ${i + 1}`).toBe(expected[i]);
      expect(icvGood, `frame ${i + 1}: Wireshark's ICV check`).toMatch(/^(1|True)$/);
    });
  });
});

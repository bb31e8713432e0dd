/**
 * Turns the guest's `ip xfrm state` (which prints the kernel's ESP keys) into Wireshark `esp_sa` UAT
 * records, so tshark decrypts a case's captures: ESP (RFC 4303), raw or in UDP 4500 (RFC 3948).
 * Addresses are wildcards because behind NAT the guest's view (10.0.2.x) and the host's capture (127.0.0.1)
 * differ; the SPI alone selects the SA.
 */
import { type Ikev1Key, ikev1Record } from './ike-keys.js';

export interface XfrmEspState {
  src: string;
  dst: string;
  spi: string;
  /** Kernel algorithm name and key, e.g. `cbc(aes)`; `rfc4106(gcm(aes))` for AEAD (key includes salt). */
  enc: { alg: string; key: string; aead: boolean; icvBits: number | undefined };
  auth: { alg: string; key: string; truncBits: number } | undefined;
}

/** Parses the text of `ip xfrm state` into its ESP states (other protocols are skipped). */
export function parseXfrmState(text: string): XfrmEspState[] {
  const out: XfrmEspState[] = [];
  for (const block of text.split(/^(?=src )/m)) {
    const head = /^src (\S+) dst (\S+)/.exec(block);
    const proto = /proto esp spi (0x[0-9a-f]+)/.exec(block);
    if (!head || !proto) continue;
    const aead = /^\s*aead (\S+) (0x[0-9a-f]+) (\d+)/m.exec(block);
    const enc = /^\s*enc (\S+) (0x[0-9a-f]+)/m.exec(block);
    const auth = /^\s*auth(?:-trunc)? (\S+) (0x[0-9a-f]+)(?: (\d+))?/m.exec(block);
    const encPart = aead
      ? { alg: aead[1], key: aead[2], aead: true, icvBits: Number(aead[3]) }
      : enc
        ? { alg: enc[1], key: enc[2], aead: false, icvBits: undefined }
        : undefined;
    if (!encPart) continue;
    out.push({
      src: head[1],
      dst: head[2],
      spi: proto[1],
      enc: encPart,
      auth: auth ? { alg: auth[1], key: auth[2], truncBits: Number(auth[3] ?? 96) } : undefined,
    });
  }
  return out;
}

/** Wireshark's names for the ESP algorithms (epan/dissectors/packet-ipsec.c value strings). */
function wiresharkEncryption(s: XfrmEspState): string {
  if (s.enc.aead) {
    if (s.enc.alg === 'rfc4106(gcm(aes))')
      return `AES-GCM with ${(s.enc.icvBits ?? 128) / 8} octet ICV [RFC4106]`;
    throw new Error(`esp-keys: no Wireshark name for AEAD ${s.enc.alg}`);
  }
  switch (s.enc.alg) {
    case 'cbc(aes)':
      return 'AES-CBC [RFC3602]';
    case 'cbc(des3_ede)':
      return 'TripleDES-CBC [RFC2451]';
    case 'rfc3686(ctr(aes))':
      return 'AES-CTR [RFC3686]';
    case 'ecb(cipher_null)':
      return 'NULL';
    default:
      throw new Error(`esp-keys: no Wireshark name for cipher ${s.enc.alg}`);
  }
}

function wiresharkAuthentication(s: XfrmEspState): string {
  if (s.auth === undefined) return 'NULL';
  const key = `${s.auth.alg}/${s.auth.truncBits}`;
  const names: Record<string, string> = {
    'hmac(sha1)/96': 'HMAC-SHA-1-96 [RFC2404]',
    'hmac(md5)/96': 'HMAC-MD5-96 [RFC2403]',
    'hmac(sha256)/96': 'HMAC-SHA-256-96 [draft-ietf-ipsec-ciph-sha-256-00]',
    'hmac(sha256)/128': 'HMAC-SHA-256-128 [RFC4868]',
    'hmac(sha384)/192': 'HMAC-SHA-384-192 [RFC4868]',
    'hmac(sha512)/256': 'HMAC-SHA-512-256 [RFC4868]',
    'digest_null/0': 'NULL',
  };
  const name = names[key];
  if (name === undefined) throw new Error(`esp-keys: no Wireshark name for integrity ${key}`);
  return name;
}

/** One `uat:esp_sa` record: protocol, source, destination, SPI, cipher, key, integrity, key. */
export function espSaRecord(s: XfrmEspState): string {
  const fields = [
    'IPv4',
    '*',
    '*',
    s.spi,
    wiresharkEncryption(s),
    s.enc.key,
    wiresharkAuthentication(s),
    s.auth?.key ?? '',
  ];
  return fields.map((f) => `"${f}"`).join(',');
}

/** tshark options that decrypt every SA of `states` and, given IKEv1 keys, the IKE exchanges too. */
export function tsharkDecryptArgs(states: readonly XfrmEspState[], ike: readonly Ikev1Key[] = []): string[] {
  const args = ['-o', 'esp.enable_encryption_decode:TRUE', '-o', 'esp.enable_authentication_check:TRUE'];
  for (const s of states) args.push('-o', `uat:esp_sa:${espSaRecord(s)}`);
  for (const k of ike) args.push('-o', `uat:ikev1_decryption_table:${ikev1Record(k)}`);
  return args;
}

/** A shell script, kept with a case's artifacts, that opens a capture with its ESP payloads decrypted. */
export function decryptScript(
  states: readonly XfrmEspState[],
  ike: readonly Ikev1Key[],
  defaultPcap: string,
): string {
  const quoted = tsharkDecryptArgs(states, ike).map((a) => `'${a.replace(/'/g, `'\\''`)}'`);
  return [
    '#!/bin/sh',
    "# Opens a capture of this case with ESP and IKEv1 decrypted by the guests' keys (xfrm-state.txt, charon.log).",
    '# Usage: ./decrypt.sh [PCAP] [tshark options...], e.g. ./decrypt.sh host.pcap -Y l2tp -V',
    `pcap=\${1:-"$(dirname "$0")/${defaultPcap}"}`,
    '[ $# -gt 0 ] && shift',
    `exec tshark -r "$pcap" ${quoted.join(' \\\n  ')} "$@"`,
    '',
  ].join('\n');
}

/**
 * IKEv1 decryption for Wireshark: Main Mode messages 5-6 and Quick Mode are encrypted with the key Ka
 * derived from SKEYID_e (RFC 2409 section 5.3, Appendix B). charon logs Ka at IKE log level 4 ("encryption
 * key Ka => N bytes" followed by a hex dump); Wireshark's `ikev1_decryption_table` maps an initiator
 * cookie to that key. One IKE SA per guest is the rule in the cases, so the n-th key pairs with the n-th
 * initiator cookie of the guest's capture.
 */

/** The Ka values in a charon log, in order, as upper-case hex. */
export function parseCharonKa(log: string): string[] {
  const keys: string[] = [];
  const lines = log.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const head = /encryption key Ka => (\d+) bytes/.exec(lines[i]);
    if (!head) continue;
    const want = Number(head[1]);
    let hex = '';
    for (let j = i + 1; j < lines.length && hex.length < want * 2; j++) {
      const row = /\s\d+: ((?:[0-9A-F]{2} ){1,16})/.exec(`${lines[j]} `);
      if (!row) break;
      hex += row[1].replace(/ /g, '');
    }
    if (hex.length === want * 2) keys.push(hex);
  }
  return keys;
}

export interface Ikev1Key {
  /** Initiator cookie (8 bytes, hex). */
  icookie: string;
  /** Ka (hex). */
  key: string;
}

/** Pairs keys with cookies in order of appearance (one IKE SA per guest). */
export function pairIkev1Keys(cookies: readonly string[], keys: readonly string[]): Ikev1Key[] {
  const n = Math.min(cookies.length, keys.length);
  return Array.from({ length: n }, (_, i) => ({ icookie: cookies[i].replace(/:/g, ''), key: keys[i] }));
}

/** One `uat:ikev1_decryption_table` record: both fields are bytes, written as bare hex. */
export function ikev1Record(k: Ikev1Key): string {
  if (!/^[0-9a-fA-F]{16}$/.test(k.icookie)) throw new Error(`ike-keys: bad initiator cookie ${k.icookie}`);
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(k.key)) throw new Error('ike-keys: bad key');
  return `${k.icookie},${k.key}`;
}

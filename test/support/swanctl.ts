/**
 * swanctl's two text formats, as the charon harness (charon.ts) uses them: swanctl.conf for IKEv1 PSK
 * connections shaped like an L2TP/IPsec client's, and the `--raw` dump of vici messages (`--list-sas`).
 */

/**
 * One IKEv1 PSK connection as swanctl.conf expresses it, shaped like NetworkManager-l2tp's (transport mode,
 * both traffic selectors udp/1701).
 */
export interface Ikev1Connection {
  readonly name: string;
  readonly localAddr: string;
  readonly remoteAddr: string;
  readonly psk: string;
  /** IKE proposals, swanctl syntax, e.g. `aes128-sha1-modp2048,3des-sha1-modp1024`. */
  readonly ike: string;
  /** ESP proposals, e.g. `aes128-sha1`, `aes128-sha1-modp2048` (PFS) or `aes128gcm16`. */
  readonly esp: string;
  /** Force UDP encapsulation (swanctl `encap`), i.e. pretend to be behind NAT. */
  readonly encap: boolean;
  readonly aggressive?: boolean;
  /** swanctl `local_ts` / `remote_ts`; default `dynamic[udp/1701]` for both. */
  readonly localTs?: string;
  readonly remoteTs?: string;
  /**
   * The ID the peer must show (swanctl `remote.id`); default its address when `remoteAddr` is one. It also
   * selects the PSK: IKEv1 Main Mode looks the PSK up by the configured IDs (strongSwan phase1.c), and with
   * a remote ID of %any an owned secret matches worse than load-tester's ownerless one (see `loadTesterPsk`).
   */
  readonly remoteId?: string;
  /** Owners of the PSK (swanctl `id-*`); default the two addresses. */
  readonly secretIds?: readonly string[];
  /** IKE SA lifetime in seconds (swanctl rekey_time); default charon's. */
  readonly rekeyTime?: number;
  /** RFC 3706 dead peer detection: R-U-THERE after this many idle seconds; default off. */
  readonly dpdDelay?: number;
  /** IKEv1: declare the peer dead after this many seconds without an answer (swanctl dpd_timeout). */
  readonly dpdTimeout?: number;
}

export function childName(conn: Ikev1Connection): string {
  return `${conn.name}-l2tp`;
}

const isAny = (addr: string) => addr === '%any' || addr === '0.0.0.0/0';

/** The peer's expected ID: an explicit one, else its address (ID_IPV4_ADDR), else none (%any). */
const remoteId = (c: Ikev1Connection) => c.remoteId ?? (isAny(c.remoteAddr) ? undefined : c.remoteAddr);

export function swanctlConf(conns: readonly Ikev1Connection[]): string {
  const out: string[] = ['connections {'];
  for (const c of conns) {
    out.push(
      `  ${c.name} {`,
      '    version = 1',
      `    local_addrs = ${c.localAddr}`,
      `    remote_addrs = ${c.remoteAddr}`,
      `    proposals = ${c.ike}`,
      `    encap = ${c.encap ? 'yes' : 'no'}`,
      `    aggressive = ${c.aggressive ? 'yes' : 'no'}`,
      `    dpd_delay = ${c.dpdDelay ?? 0}`,
      ...(c.dpdTimeout ? [`    dpd_timeout = ${c.dpdTimeout}`] : []),
      ...(c.rekeyTime ? [`    rekey_time = ${c.rekeyTime}`] : []),
      isAny(c.localAddr) ? '    local { auth = psk }' : `    local { auth = psk\n      id = ${c.localAddr} }`,
      remoteId(c) ? `    remote { auth = psk\n      id = ${remoteId(c)} }` : '    remote { auth = psk }',
      '    children {',
      `      ${childName(c)} {`,
      '        mode = transport',
      `        esp_proposals = ${c.esp}`,
      `        local_ts = ${c.localTs ?? 'dynamic[udp/1701]'}`,
      `        remote_ts = ${c.remoteTs ?? 'dynamic[udp/1701]'}`,
      '      }',
      '    }',
      '  }',
    );
  }
  out.push('}', 'secrets {');
  conns.forEach((c, i) => {
    const owners = c.secretIds ?? [c.localAddr, c.remoteAddr].filter((a) => !isAny(a));
    out.push(
      `  ike-${i} {`,
      `    secret = "${c.psk}"`,
      ...owners.map((id, j) => `    id-${j} = ${id}`),
      '  }',
    );
  });
  out.push('}', '');
  return out.join('\n');
}

/** A node of swanctl's `--raw` output: `key=value`, `key [a b]` lists and `name {…}` sections. */
export type ViciValue = string | string[] | ViciSection;
export interface ViciSection {
  [key: string]: ViciValue;
}

/**
 * Parses swanctl `--raw` output (one or more `<message> {…}` dumps) into their sections, in order. Lists
 * are `key=[item item]`, and an item may hold brackets of its own (`198.18.0.1/32[udp/l2f]`).
 */
export function parseSwanctlRaw(text: string): ViciSection[] {
  let i = 0;
  const space = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  /** Up to whitespace, a brace or `=`, or (inside a list) the list's own closing bracket. */
  const scalar = (stops: RegExp) => {
    const from = i;
    let depth = 0;
    while (i < text.length) {
      const ch = text[i];
      if (ch === '[') depth++;
      else if (ch === ']' && depth-- === 0) break;
      else if (depth === 0 && stops.test(ch)) break;
      i++;
    }
    return text.slice(from, i);
  };
  const section = (): ViciSection => {
    const out: ViciSection = {};
    for (;;) {
      space();
      if (i >= text.length) return out;
      if (text[i] === '}') {
        i++;
        return out;
      }
      const key = scalar(/[\s{}=]/);
      if (!key) {
        i++; // a stray character: skip it
        continue;
      }
      if (text[i] === '=') {
        i++;
        if (text[i] === '[') {
          i++;
          const items: string[] = [];
          for (;;) {
            space();
            if (i >= text.length) break;
            if (text[i] === ']') {
              i++;
              break;
            }
            items.push(scalar(/\s/));
          }
          out[key] = items;
        } else {
          out[key] = scalar(/[\s{}]/);
        }
      } else {
        space();
        if (text[i] === '{') {
          i++;
          out[key] = section();
        }
      }
    }
  };
  const messages: ViciSection[] = [];
  while (i < text.length) {
    space();
    if (text[i] === '{') {
      i++;
      messages.push(section());
    } else {
      scalar(/[\s{]/);
      if (i < text.length && text[i] !== '{') i++;
    }
  }
  return messages;
}

export interface ChildSaInfo {
  readonly name: string;
  readonly state: string;
  readonly mode: string;
  readonly protocol: string;
  readonly encap: boolean;
  /** SPIs as charon prints them (8 hex digits). */
  readonly spiIn: string;
  readonly spiOut: string;
  readonly encrAlg: string | undefined;
  readonly encrKeysize: string | undefined;
  readonly integAlg: string | undefined;
  readonly dhGroup: string | undefined;
  readonly localTs: readonly string[];
  readonly remoteTs: readonly string[];
  readonly raw: ViciSection;
}

export interface IkeSaInfo {
  readonly name: string;
  readonly version: string;
  readonly state: string;
  readonly localPort: string;
  readonly remotePort: string;
  readonly natRemote: boolean;
  readonly encrAlg: string | undefined;
  readonly encrKeysize: string | undefined;
  readonly integAlg: string | undefined;
  readonly dhGroup: string | undefined;
  readonly children: readonly ChildSaInfo[];
  readonly raw: ViciSection;
}

const str = (v: ViciValue | undefined): string | undefined => (typeof v === 'string' ? v : undefined);
const list = (v: ViciValue | undefined): string[] => (Array.isArray(v) ? v : []);

/** IKE SAs (with their CHILD_SAs) from `swanctl --list-sas --raw` output. */
export function parseListSas(text: string): IkeSaInfo[] {
  const out: IkeSaInfo[] = [];
  for (const msg of parseSwanctlRaw(text)) {
    for (const [name, v] of Object.entries(msg)) {
      if (typeof v !== 'object' || Array.isArray(v)) continue;
      const childSection = v['child-sas'];
      const children: ChildSaInfo[] = [];
      if (childSection && typeof childSection === 'object' && !Array.isArray(childSection)) {
        for (const c of Object.values(childSection)) {
          if (typeof c !== 'object' || Array.isArray(c)) continue;
          children.push({
            name: str(c.name) ?? '',
            state: str(c.state) ?? '',
            mode: str(c.mode) ?? '',
            protocol: str(c.protocol) ?? '',
            encap: c.encap === 'yes',
            spiIn: str(c['spi-in']) ?? '',
            spiOut: str(c['spi-out']) ?? '',
            encrAlg: str(c['encr-alg']),
            encrKeysize: str(c['encr-keysize']),
            integAlg: str(c['integ-alg']),
            dhGroup: str(c['dh-group']),
            localTs: list(c['local-ts']),
            remoteTs: list(c['remote-ts']),
            raw: c,
          });
        }
      }
      out.push({
        name,
        version: str(v.version) ?? '',
        state: str(v.state) ?? '',
        localPort: str(v['local-port']) ?? '',
        remotePort: str(v['remote-port']) ?? '',
        natRemote: v['nat-remote'] === 'yes' || v['nat-any'] === 'yes',
        encrAlg: str(v['encr-alg']),
        encrKeysize: str(v['encr-keysize']),
        integAlg: str(v['integ-alg']),
        dhGroup: str(v['dh-group']),
        children,
        raw: v,
      });
    }
  }
  return out;
}

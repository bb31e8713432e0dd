/**
 * The Linux client's configuration, written the way NetworkManager-l2tp writes it for strongSwan, xl2tpd
 * and pppd, so that the suite tests the stock client rather than a hand-tuned one. Each generator is a
 * pure function of a `ClientSpec`; the guest script copies the files into place.
 */

/** PPP authentication the client allows (NetworkManager-l2tp's "allow only" list). */
export type PppAuth = 'mschap-v2' | 'chap' | 'pap';

export interface ClientSpec {
  /** ipsec.conf `right` and xl2tpd `lns`: the server's address as the client sees it. */
  server: string;
  psk: string;
  /** ipsec.conf `ike=` / `esp=`; undefined leaves charon's built-in defaults. */
  ike?: string;
  esp?: string;
  forceEncaps: boolean;
  user: string;
  password: string;
  auth: PppAuth;
  /** xl2tpd `force userspace = yes` (PPP frames through xl2tpd instead of the kernel's pppol2tp). */
  forceUserspace?: boolean;
  /** Networks behind the server the client routes into ppp0 (NetworkManager adds these routes). */
  routes?: readonly string[];
  /** Addresses pinged through the tunnel besides the server's own tunnel (IPCP peer) address. */
  pingTargets?: readonly string[];
}

export const CONN_NAME = 'l2s';

/** ipsec.conf: one transport-mode connection for L2TP (UDP 1701), IKEv1 with a pre-shared key. */
export function ipsecConf(c: ClientSpec): string {
  const lines = [
    'config setup',
    '  charondebug="ike 2, knl 2, cfg 1, net 1, enc 0"',
    '',
    `conn ${CONN_NAME}`,
    '  auto=add',
    '  keyexchange=ikev1',
    '  type=transport',
    '  authby=secret',
    '  left=%defaultroute',
    '  leftprotoport=17/1701',
    `  right=${c.server}`,
    '  rightid=%any',
    '  rightprotoport=17/%any',
    ...(c.ike !== undefined ? [`  ike=${c.ike}`] : []),
    ...(c.esp !== undefined ? [`  esp=${c.esp}`] : []),
    `  forceencaps=${c.forceEncaps ? 'yes' : 'no'}`,
    '  rekey=no',
    '  keyingtries=1',
  ];
  return `${lines.join('\n')}\n`;
}

/** ipsec.secrets: the PSK for any peer (the server's ID is not known in advance: rightid=%any). */
export function ipsecSecrets(c: ClientSpec): string {
  return `%any %any : PSK "${escapeQuoted(c.psk)}"\n`;
}

/**
 * strongswan.d drop-in: charon's retransmissions lowered so a failed IKE ends in ~20 s, not ~2 min
 * (defaults: 5 tries, 4 s, base 1.8), and charon's log written straight to the share.
 */
export function strongswanDropIn(logPath: string): string {
  return [
    'charon {',
    '  retransmit_tries = 3',
    '  retransmit_timeout = 2.0',
    '  retransmit_base = 1.4',
    '  filelog {',
    '    interop {',
    `      path = ${logPath}`,
    '      time_format = %H:%M:%S',
    '      ike_name = yes',
    '      append = no',
    '      flush_line = yes',
    '      default = 1',
    '      ike = 4',
    '      knl = 2',
    '      cfg = 2',
    '    }',
    '  }',
    '}',
    '',
  ].join('\n');
}

/** xl2tpd.conf: a single LAC that dials only when told to through the control pipe. */
export function xl2tpdConf(c: ClientSpec, pppOptionsPath: string): string {
  const lines = [
    '[global]',
    'port = 1701',
    ...(c.forceUserspace ? ['force userspace = yes'] : []),
    'debug tunnel = yes',
    '',
    `[lac ${CONN_NAME}]`,
    `lns = ${c.server}`,
    'length bit = yes',
    'redial = no',
    'autodial = no',
    'ppp debug = yes',
    `name = ${c.user}`,
    `pppoptfile = ${pppOptionsPath}`,
  ];
  return `${lines.join('\n')}\n`;
}

const REFUSE: Record<PppAuth, readonly string[]> = {
  // On a client, `require-*` would demand that the server authenticate itself: refuse the others instead.
  'mschap-v2': ['refuse-pap', 'refuse-chap', 'refuse-mschap'],
  chap: ['refuse-pap', 'refuse-mschap', 'refuse-mschap-v2'],
  pap: ['refuse-chap', 'refuse-mschap', 'refuse-mschap-v2'],
};

/** pppd options for the L2TP session (xl2tpd's `pppoptfile`). */
export function pppOptions(c: ClientSpec, logPath: string): string {
  const lines = [
    'noauth',
    'noccp',
    'refuse-eap',
    ...REFUSE[c.auth],
    'ipcp-accept-local',
    'ipcp-accept-remote',
    'nodefaultroute',
    'mtu 1400',
    'mru 1400',
    `user "${escapeQuoted(c.user)}"`,
    `password "${escapeQuoted(c.password)}"`,
    'debug',
    `logfile ${logPath}`,
  ];
  return `${lines.join('\n')}\n`;
}

function escapeQuoted(s: string): string {
  if (/["\\\n]/.test(s)) throw new Error(`interop: value ${JSON.stringify(s)} cannot be quoted safely`);
  return s;
}

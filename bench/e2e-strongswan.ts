/**
 * The anchor of `l2tpsec bench e2e` (issue 7): strongSwan's userspace ESP, kernel-libipsec (C), between two
 * namespaces — charon in each, tunnel mode between two /32 addresses on their loopbacks, ESP forced into
 * UDP 4500 (`encap = yes`), the same iperf3 TCP stream as ours. The kernel here has no ESP, so libipsec is
 * strongSwan's only data path: it reads the ipsec0 TUN that kernel-netlink routes the inner /32 into.
 *
 * kernel-libipsec must be loaded before kernel-netlink (the first kernel-ipsec backend registered wins;
 * kernel-netlink still provides addresses and routes). Each charon has its own strongswan.conf, vici socket
 * and swanctl directory, and a private /run (its pidfile path is compiled in) in a mount namespace of its own.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exec, type IperfResult, iperf3Tcp, NamespacePair, waitFor } from './e2e-netns.js';

const CHARON = '/usr/lib/ipsec/charon';
const SWANCTL = '/usr/sbin/swanctl';
const LIBIPSEC_PLUGIN = '/usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so';

const OUTER = { left: '198.18.4.1', right: '198.18.4.2' };
const INNER = { left: '10.77.0.1', right: '10.77.0.2' };

/** Why the anchor cannot run here, or undefined. */
export function strongswanUnavailable(): string | undefined {
  if (!existsSync(CHARON)) return `${CHARON} missing (apt-get install strongswan-charon)`;
  if (!existsSync(SWANCTL)) return `${SWANCTL} missing (apt-get install strongswan-swanctl)`;
  if (!existsSync(LIBIPSEC_PLUGIN))
    return 'kernel-libipsec plugin missing (apt-get install libcharon-extra-plugins)';
  return undefined;
}

export interface StrongswanOptions {
  /** swanctl ESP proposal, e.g. aes128-sha1 or aes128gcm16. */
  readonly esp: string;
  readonly seconds: number;
}

export interface StrongswanResult extends IperfResult {
  /** What charon says it selected (e.g. ESP:AES_CBC_128/HMAC_SHA1_96/NO_EXT_SEQ). */
  readonly proposal: string;
  readonly encapsulated: boolean;
}

function strongswanConf(dir: string): string {
  return `charon {
  load_modular = no
  load = random nonce openssl aes sha1 sha2 hmac kdf gmp pem pkcs1 x509 pubkey socket-default vici kernel-libipsec kernel-netlink
  plugins {
    vici { socket = unix://${dir}/charon.vici }
  }
  filelog {
    main { path = ${dir}/charon.log
      default = 1 }
  }
  syslog { daemon { default = -1 }
    auth { default = -1 } }
}
swanctl { load = random nonce openssl pem pkcs1 x509 pubkey }
`;
}

function swanctlConf(
  local: string,
  remote: string,
  localTs: string,
  remoteTs: string,
  esp: string,
  psk: string,
): string {
  return `connections {
  bench {
    version = 2
    local_addrs = ${local}
    remote_addrs = ${remote}
    proposals = aes128-sha1-modp2048
    encap = yes
    local { auth = psk
      id = ${local} }
    remote { auth = psk
      id = ${remote} }
    children {
      bench {
        mode = tunnel
        esp_proposals = ${esp}
        local_ts = ${localTs}/32
        remote_ts = ${remoteTs}/32
      }
    }
  }
}
secrets {
  ike-bench { secret = "${psk}"
    id-1 = ${local}
    id-2 = ${remote} }
}
`;
}

/** Sets up both charons, establishes the CHILD_SA, runs iperf3 through it, and tears everything down. */
export async function measureStrongswan(opts: StrongswanOptions): Promise<StrongswanResult> {
  const pair = new NamespacePair({ purpose: 'sw', left: `${OUTER.left}/24`, right: `${OUTER.right}/24` });
  const dir = mkdtempSync(join(tmpdir(), 'l2s-bench-sw-'));
  const psk = randomBytes(16).toString('hex');
  try {
    await pair.create({ purpose: 'sw', left: `${OUTER.left}/24`, right: `${OUTER.right}/24` });
    const sides = [
      {
        ns: pair.left,
        outer: OUTER.left,
        peer: OUTER.right,
        inner: INNER.left,
        peerInner: INNER.right,
        name: 'left',
      },
      {
        ns: pair.right,
        outer: OUTER.right,
        peer: OUTER.left,
        inner: INNER.right,
        peerInner: INNER.left,
        name: 'right',
      },
    ];
    const envOf = (d: string) => ({
      ...process.env,
      STRONGSWAN_CONF: join(d, 'strongswan.conf'),
      SWANCTL_DIR: join(d, 'swanctl'),
    });
    for (const s of sides) {
      const d = join(dir, s.name);
      mkdirSync(join(d, 'run'), { recursive: true });
      mkdirSync(join(d, 'swanctl'), { recursive: true });
      writeFileSync(join(d, 'strongswan.conf'), strongswanConf(d));
      writeFileSync(
        join(d, 'swanctl/swanctl.conf'),
        swanctlConf(s.outer, s.peer, s.inner, s.peerInner, opts.esp, psk),
      );
      const r = await pair.exec(s.ns, ['ip', 'addr', 'add', `${s.inner}/32`, 'dev', 'lo']);
      if (r.code !== 0) throw new Error(`inner address: ${r.stderr}`);
      pair.spawn(
        s.ns,
        [
          'unshare',
          '-m',
          'sh',
          '-c',
          `set -e; mount --make-rprivate /; mount --bind ${d}/run /run; exec ${CHARON}`,
        ],
        envOf(d),
      );
    }
    const swanctl = (side: string, args: readonly string[]) =>
      exec(
        [SWANCTL, ...args, '--uri', `unix://${join(dir, side, 'charon.vici')}`],
        60_000,
        envOf(join(dir, side)),
      );
    for (const s of sides) {
      await waitFor(
        async () =>
          existsSync(join(dir, s.name, 'charon.vici')) && (await swanctl(s.name, ['--stats'])).code === 0
            ? true
            : undefined,
        15_000,
        `charon (${s.name}) to open its vici socket`,
      );
      const r = await swanctl(s.name, ['--load-all', '--noprompt']);
      if (r.code !== 0) throw new Error(`swanctl --load-all (${s.name}): ${r.stdout}${r.stderr}`);
    }
    const init = await swanctl('left', ['--initiate', '--child', 'bench', '--timeout', '30']);
    if (!/initiate completed successfully/.test(init.stdout)) {
      throw new Error(
        `strongSwan CHILD_SA not established:\n${init.stdout}${init.stderr}\n${tail(join(dir, 'left/charon.log'))}`,
      );
    }
    const proposal = /selected proposal: (ESP:\S+)/.exec(init.stdout)?.[1] ?? 'unknown';
    const sas = await swanctl('left', ['--list-sas', '--raw']);
    const encapsulated = /encap=yes/.test(sas.stdout);
    const r = await iperf3Tcp(pair, pair.right, INNER.right, pair.left, opts.seconds, INNER.left);
    return { ...r, proposal, encapsulated };
  } finally {
    await pair.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

function tail(path: string, lines = 30): string {
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').slice(-lines).join('\n') : '';
}

/**
 * The interop matrix as data (issue 8). Each case passes when every guest meets its expectation: for a
 * connecting client, IPsec is up, ppp0 has an address from the pool, and ping goes through the tunnel to
 * the server's tunnel address and to a host behind the server (198.51.100.2, see netns.ts).
 *
 * Cases against `l2tpsec server` are pending until the server command exists: flip SERVER_PENDING to
 * undefined and they run (the server is started by server.ts).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { StatusSnapshot } from '../../src/server/control-socket.js';
import type { ClientSpec } from './client-config.js';
import type { GuestPlan, InteropCase, ServerCheck } from './harness.js';
import { BEHIND_HOST_ADDR, BEHIND_NET } from './netns.js';
import { repoRoot } from './paths.js';
import type { ServerSpec } from './server.js';

export const SERVER_PENDING: string | undefined = undefined;

const PSK = 'interop-psk-0123456789';

/**
 * After a refused login the server holds no PPP session and no lease (read over its control socket with
 * `l2tpsec status --json`, as an admin would). The guest powers off without an IKE DELETE, so its IPsec SAs
 * may still be there until DPD clears them: they are not checked.
 */
const SERVER_FREED_SESSION: ServerCheck = {
  name: 'freed the refused session',
  async run({ dir }) {
    const out = execFileSync(
      process.execPath,
      [join(repoRoot(), 'bin/l2tpsec.js'), 'status', '--json', '--control', join(dir, 'control.sock')],
      {
        encoding: 'utf8',
      },
    );
    const snap = JSON.parse(out) as StatusSnapshot;
    if (snap.sessions.length !== 0) return `${snap.sessions.length} session(s) still listed`;
    if ((snap.pool?.leased ?? 0) !== 0) return `${snap.pool?.leased} address(es) still leased`;
    if ((snap.live?.pppSessions ?? 0) !== 0) return `${snap.live?.pppSessions} PPP session(s) still alive`;
    return undefined;
  },
};
const USER = 'alice';
const PASSWORD = 'wonderland-42';

/** The server every case uses unless it says otherwise. */
export const BASE_SERVER: ServerSpec = {
  psk: PSK,
  user: USER,
  password: PASSWORD,
  network: '10.77.0.0/24',
  localAddress: '10.77.0.1',
  pool: '10.77.0.10-10.77.0.250',
  pppAuth: ['mschap-v2', 'chap'],
};
const POOL_CIDR = BASE_SERVER.network;

/** Case 1's client: what NetworkManager-l2tp writes for a user who picked AES-128/SHA-1/MODP-2048. */
export const BASELINE_CLIENT: Omit<ClientSpec, 'server'> = {
  psk: PSK,
  ike: 'aes128-sha1-modp2048!',
  esp: 'aes128-sha1!',
  forceEncaps: true,
  user: USER,
  password: PASSWORD,
  auth: 'mschap-v2',
  routes: [BEHIND_NET],
  pingTargets: [BEHIND_HOST_ADDR],
};

const connects = (client: Omit<ClientSpec, 'server'>): GuestPlan => ({
  role: 'client',
  client,
  expect: { kind: 'connects', pool: POOL_CIDR },
});

const NM_DEFAULT_IKE =
  'aes256-sha2_256-modp2048,aes256-sha2_256-modp1536,aes256-sha2_256-modp1024,aes256-sha1-modp2048,' +
  'aes256-sha1-modp1536,aes256-sha1-modp1024,aes256-sha1-ecp384,aes128-sha1-modp1024,aes128-sha1-ecp256,' +
  '3des-sha1-modp2048,3des-sha1-modp1024!';
const NM_DEFAULT_ESP = 'aes256-sha1,aes128-sha1,3des-sha1!';

/** Needs no server: boots a guest, checks its kernel modules and programs, pings the host, powers off. */
export const SELFTEST: InteropCase = {
  name: 'selftest',
  summary: 'harness only: guest boots, ESP/L2TP/PPP modules load, guest pings the bridge address',
  network: 'bridge',
  guests: [{ role: 'selftest', expect: { kind: 'completes' } }],
  timeoutSeconds: 240,
};

/** The same over QEMU user networking: proves the NAT path (guest → 10.0.2.2 → 127.0.0.1 in the namespace). */
export const SELFTEST_NAT: InteropCase = {
  ...SELFTEST,
  name: 'selftest-nat',
  summary: 'harness only, over slirp NAT: guest reaches 10.0.2.2 (the namespace 127.0.0.1)',
  network: 'slirp',
};

/** The cases that need a server (l2tpsec, or the reference server with `--reference`). */
export const SERVER_CASES: readonly InteropCase[] = [
  {
    name: '01-baseline',
    summary: 'ike=aes128-sha1-modp2048 esp=aes128-sha1 forceencaps=yes, MS-CHAPv2',
    network: 'bridge',
    guests: [connects(BASELINE_CLIENT)],
    server: BASE_SERVER,
    capture: [{ filter: 'esp && udp.port == 4500', present: true, because: 'forceencaps=yes' }],
  },
  {
    name: '02-nat',
    summary: 'behind QEMU user networking (real NAT with port translation, UDP 4500)',
    network: 'slirp',
    guests: [connects({ ...BASELINE_CLIENT, forceEncaps: false })],
    server: BASE_SERVER,
    capture: [
      { filter: 'esp && udp.port == 4500', present: true, because: 'NAT detected: ESP floats to UDP 4500' },
    ],
  },
  {
    name: '03-raw-esp',
    summary: 'forceencaps=no on the bridge: raw ESP where the server has it',
    network: 'bridge',
    guests: [connects({ ...BASELINE_CLIENT, forceEncaps: false })],
    server: { ...BASE_SERVER, rawEsp: true },
    capture: [
      { filter: 'esp && !udp', present: true, because: 'no NAT, no forced encapsulation: raw ESP (IP 50)' },
      { filter: 'udp.port == 4500', present: false, because: 'nothing to float to 4500 for' },
    ],
  },
  {
    name: '03b-server-forces-udp',
    summary: 'forceencaps=no, server forces encapsulation: the client must still land on UDP 4500',
    network: 'bridge',
    guests: [connects({ ...BASELINE_CLIENT, forceEncaps: false })],
    server: { ...BASE_SERVER, rawEsp: false, forceEncapsulation: true },
    capture: [
      { filter: 'esp && udp.port == 4500', present: true, because: 'the server forces UDP encapsulation' },
      { filter: 'esp && !udp', present: false, because: 'no raw ESP once encapsulation is forced' },
    ],
  },
  {
    name: '04-legacy-3des',
    summary: 'ike=3des-sha1-modp1024 esp=3des-sha1',
    network: 'bridge',
    guests: [connects({ ...BASELINE_CLIENT, ike: '3des-sha1-modp1024!', esp: '3des-sha1!' })],
    server: BASE_SERVER,
  },
  {
    name: '05-chap-md5',
    summary: 'CHAP-MD5 instead of MS-CHAPv2',
    network: 'bridge',
    guests: [connects({ ...BASELINE_CLIENT, auth: 'chap' })],
    server: BASE_SERVER,
  },
  {
    name: '05b-pap',
    summary: 'PAP, with the server enabling it',
    network: 'bridge',
    guests: [connects({ ...BASELINE_CLIENT, auth: 'pap' })],
    server: { ...BASE_SERVER, pppAuth: ['mschap-v2', 'chap', 'pap'] },
  },
  {
    name: '06-xl2tpd-userspace',
    summary: 'xl2tpd with force userspace = yes (PPP through xl2tpd, not pppol2tp)',
    network: 'bridge',
    guests: [connects({ ...BASELINE_CLIENT, forceUserspace: true })],
    server: BASE_SERVER,
  },
  {
    name: '06b-xl2tpd-kernel',
    summary: 'xl2tpd in kernel mode (pppol2tp), stated explicitly',
    network: 'bridge',
    guests: [connects({ ...BASELINE_CLIENT, forceUserspace: false })],
    server: BASE_SERVER,
  },
  {
    name: '07-nm-default-lists',
    summary: "NetworkManager-l2tp's default ike/esp lists (strict)",
    network: 'bridge',
    guests: [connects({ ...BASELINE_CLIENT, ike: NM_DEFAULT_IKE, esp: NM_DEFAULT_ESP })],
    server: BASE_SERVER,
  },
  {
    name: '08-charon-nonstrict',
    summary: 'non-strict lists: charon appends its defaults (ending in a Curve25519-only transform)',
    network: 'bridge',
    guests: [connects({ ...BASELINE_CLIENT, ike: 'aes128-sha1-modp2048', esp: 'aes128-sha1' })],
    server: BASE_SERVER,
  },
  {
    name: '09-wrong-password',
    summary: 'wrong password: pppd reports the authentication failure',
    network: 'bridge',
    guests: [
      {
        role: 'client',
        client: { ...BASELINE_CLIENT, password: 'not-the-password' },
        expect: {
          kind: 'fails',
          stage: 'PPP',
          evidence: { file: 'pppd.log', pattern: /authentication failed/i },
        },
      },
    ],
    server: BASE_SERVER,
    serverChecks: [SERVER_FREED_SESSION],
  },
  {
    name: '09b-wrong-psk',
    summary: 'wrong PSK: IKE fails cleanly',
    network: 'bridge',
    guests: [
      {
        role: 'client',
        client: { ...BASELINE_CLIENT, psk: 'not-the-psk' },
        expect: { kind: 'fails', stage: 'IKE' },
      },
    ],
    server: BASE_SERVER,
  },
  {
    name: '10-two-behind-nat',
    summary: 'two guests at once behind NAT (both seen from 127.0.0.1), each with its own session',
    network: 'slirp',
    guests: [connects(BASELINE_CLIENT), connects(BASELINE_CLIENT)],
    server: BASE_SERVER,
  },
];

/** Every case, in the order `npm run interop` runs them. */
export const CASES: readonly InteropCase[] = [
  SELFTEST,
  SELFTEST_NAT,
  ...SERVER_CASES.map((c) => (SERVER_PENDING === undefined ? c : { ...c, pending: SERVER_PENDING })),
];

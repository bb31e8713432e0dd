/**
 * The network a case runs in, created fresh in namespaces of its own so that nothing leaves them:
 *
 *  - `bridge`: namespace `<ns>` holds bridge `br0` carrying the server's address 192.0.2.1/24; guest i
 *    gets tap `tap<i>` on it and address 192.0.2.(10+i). Raw ESP (protocol 50) works here.
 *  - `slirp`: QEMU user networking inside `<ns>`: each guest is NATed (with port translation) to
 *    127.0.0.1 of that namespace and reaches the server at 10.0.2.2, the way a client behind a home
 *    router does. UDP only, so IKE must float to 4500 (RFC 3947).
 *
 * Either way, when `behind` is set, namespace `<ns>-b` is "a host behind the server": a veth pair with
 * 198.51.100.1/24 on the server side and 198.51.100.2/24 in `<ns>-b`, forwarding enabled in `<ns>`.
 * Addresses come from the documentation ranges (RFC 5737) and only exist inside these namespaces.
 */
import { execFileSync } from 'node:child_process';
import { trackNamespace, untrackNamespace } from './processes.js';

export type NetworkKind = 'bridge' | 'slirp';

export const BRIDGE_SERVER_ADDR = '192.0.2.1';
export const SLIRP_SERVER_ADDR = '10.0.2.2';
export const BEHIND_NET = '198.51.100.0/24';
export const BEHIND_GATEWAY_ADDR = '198.51.100.1';
export const BEHIND_HOST_ADDR = '198.51.100.2';

export interface GuestLink {
  /** QEMU -netdev argument. */
  netdev: string;
  mac: string;
  /** eth0 address with prefix, and the gateway, handed to the guest on its kernel command line. */
  ip: string;
  gw: string | undefined;
}

export interface TestNetwork {
  kind: NetworkKind;
  ns: string;
  behindNs: string | undefined;
  /** The address a client is configured with (ipsec.conf `right`, xl2tpd `lns`). */
  serverAddr: string;
  /** The interface to capture on, host side, for the client-to-server traffic. */
  captureInterface: string;
  guest(index: number): GuestLink;
  destroy(): void;
}

function ip(args: readonly string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function nsSysctl(ns: string, key: string, value: string): void {
  execFileSync('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', `${key}=${value}`], { stdio: 'ignore' });
}

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

export function createTestNetwork(opts: {
  name: string;
  kind: NetworkKind;
  guests: number;
  behind: boolean;
}): TestNetwork {
  const ns = `l2s-${opts.name}-${process.pid}`;
  const behindNs = opts.behind ? `${ns}-b` : undefined;
  const created: string[] = [];
  const destroy = (): void => {
    for (const n of created.reverse()) {
      try {
        ip(['netns', 'del', n]);
      } catch {
        // already gone
      }
      untrackNamespace(n);
    }
    created.length = 0;
  };
  try {
    ip(['netns', 'add', ns]);
    created.push(ns);
    trackNamespace(ns);
    ip(['-n', ns, 'link', 'set', 'lo', 'up']);
    nsSysctl(ns, 'net.ipv4.ip_forward', '1');
    // Lets QEMU's slirp answer the guest's pings to 10.0.2.2 through an unprivileged ICMP socket.
    nsSysctl(ns, 'net.ipv4.ping_group_range', '0 2147483647');
    if (opts.kind === 'bridge') {
      ip(['-n', ns, 'link', 'add', 'br0', 'type', 'bridge']);
      ip(['-n', ns, 'addr', 'add', `${BRIDGE_SERVER_ADDR}/24`, 'dev', 'br0']);
      ip(['-n', ns, 'link', 'set', 'br0', 'up']);
      for (let i = 0; i < opts.guests; i++) {
        ip(['-n', ns, 'tuntap', 'add', 'dev', `tap${i}`, 'mode', 'tap']);
        ip(['-n', ns, 'link', 'set', `tap${i}`, 'master', 'br0', 'up']);
      }
    }
    if (behindNs !== undefined) {
      ip(['netns', 'add', behindNs]);
      created.push(behindNs);
      trackNamespace(behindNs);
      ip(['-n', behindNs, 'link', 'set', 'lo', 'up']);
      ip(['-n', ns, 'link', 'add', 'behind0', 'type', 'veth', 'peer', 'name', 'uplink0', 'netns', behindNs]);
      ip(['-n', ns, 'addr', 'add', `${BEHIND_GATEWAY_ADDR}/24`, 'dev', 'behind0']);
      ip(['-n', ns, 'link', 'set', 'behind0', 'up']);
      ip(['-n', behindNs, 'addr', 'add', `${BEHIND_HOST_ADDR}/24`, 'dev', 'uplink0']);
      ip(['-n', behindNs, 'link', 'set', 'uplink0', 'up']);
      ip(['-n', behindNs, 'route', 'add', 'default', 'via', BEHIND_GATEWAY_ADDR]);
    }
  } catch (err) {
    destroy();
    throw err;
  }
  const mac = (i: number): string => `52:54:00:12:34:${(0x56 + i).toString(16).padStart(2, '0')}`;
  return {
    kind: opts.kind,
    ns,
    behindNs,
    serverAddr: opts.kind === 'bridge' ? BRIDGE_SERVER_ADDR : SLIRP_SERVER_ADDR,
    captureInterface: opts.kind === 'bridge' ? 'br0' : 'lo',
    guest(i: number): GuestLink {
      if (opts.kind === 'bridge') {
        return {
          netdev: `tap,id=n0,ifname=tap${i},script=no,downscript=no`,
          mac: mac(i),
          ip: `192.0.2.${10 + i}/24`,
          gw: undefined,
        };
      }
      // One slirp instance per guest: each sees 10.0.2.0/24 with the host (127.0.0.1 of <ns>) at .2.
      return {
        netdev: 'user,id=n0,net=10.0.2.0/24,host=10.0.2.2,ipv6=off',
        mac: mac(i),
        ip: `10.0.2.${15 + i}/24`,
        gw: SLIRP_SERVER_ADDR,
      };
    },
    destroy,
  };
}

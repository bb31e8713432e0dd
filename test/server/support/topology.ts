/**
 * The namespaces of the end-to-end tests (issue 7):
 *
 *      client-i (direct) ──┐
 *                          ├── br0 ── server ── lan0 ──── host
 *      client-j ── nat ────┘   198.18.0.1       10.99.0.1  10.99.0.2
 *      192.168.(100+j).2     (masquerade)
 *
 * The "public" segment is 198.18.0.0/24 (RFC 2544 benchmarking space) on a bridge in the server's
 * namespace; a direct client is 198.18.0.(10+i); the NAT is 198.18.0.2 and masquerades (nftables) its
 * clients, each on its own link 192.168.(100+j).0/24. The host behind the server sits on the second link
 * of the server's namespace, with its default route through the server. Clients have NO route to
 * 10.99.0.0/24: without the VPN the host is unreachable, so reaching it proves the tunnel carried it.
 *
 * Built on test/support/netns.ts (NetnsLab): unique names (l2s-<purpose>-<role>-<pid>-<n>); everything is
 * deleted by destroy(), which create() itself runs when set-up fails half way, and which the lab also runs
 * at process exit as a last resort.
 */
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { type Netns, NetnsLab, run } from '../../support/netns.js';

export const SERVER_PUBLIC = '198.18.0.1';
export const NAT_PUBLIC = '198.18.0.2';
export const SERVER_LAN = '10.99.0.1';
export const HOST_ADDRESS = '10.99.0.2';
export const LAN_NET = '10.99.0.0/24';

export type ClientKind = 'direct' | 'nat';

export interface TopologySpec {
  /** Short word for the names (≤ 5 characters used). */
  purpose: string;
  /** One entry per client (default one direct client). */
  clients?: readonly ClientKind[];
}

export interface ClientNode {
  readonly ns: string;
  readonly address: string;
  readonly kind: ClientKind;
}

async function must(argv: readonly string[], input?: string): Promise<string> {
  if (input !== undefined) {
    try {
      return execFileSync(argv[0], argv.slice(1), {
        encoding: 'utf8',
        input,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`${argv.join(' ')}: ${(e.stderr ?? '').trim() || e.message}`);
    }
  }
  const r = await run(argv);
  if (r.code !== 0) throw new Error(`${argv.join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}

export interface ClientNodeNs extends ClientNode {
  readonly netns: Netns;
}

export class Topology {
  readonly server: {
    readonly ns: string;
    readonly netns: Netns;
    readonly publicAddress: string;
    readonly lanAddress: string;
  };
  readonly host: { readonly ns: string; readonly netns: Netns; readonly address: string };
  readonly nat: { readonly ns: string; readonly netns: Netns; readonly publicAddress: string } | undefined;
  readonly clients: readonly ClientNodeNs[];

  private constructor(
    private readonly lab: NetnsLab,
    parts: {
      server: Topology['server'];
      host: Topology['host'];
      nat: Topology['nat'];
      clients: ClientNodeNs[];
    },
  ) {
    this.server = parts.server;
    this.host = parts.host;
    this.nat = parts.nat;
    this.clients = parts.clients;
  }

  /** Builds the whole topology; on any failure deletes what was made and rethrows. */
  static async create(spec: TopologySpec): Promise<Topology> {
    const lab = new NetnsLab();
    try {
      return await Topology.build(lab, spec);
    } catch (err) {
      await lab.cleanup();
      throw err;
    }
  }

  private static async build(lab: NetnsLab, spec: TopologySpec): Promise<Topology> {
    const p = spec.purpose.slice(0, 5);
    const kinds = spec.clients ?? ['direct'];
    const srv = await lab.addNetns(`${p}-srv`);
    const host = await lab.addNetns(`${p}-host`);
    const sysctl = (ns: Netns, key: string, value: string) =>
      must(['ip', 'netns', 'exec', ns.name, 'sysctl', '-q', '-w', `${key}=${value}`]);
    await must(['ip', '-n', srv.name, 'link', 'add', 'br0', 'type', 'bridge']);
    await must(['ip', '-n', srv.name, 'addr', 'add', `${SERVER_PUBLIC}/24`, 'dev', 'br0']);
    await must(['ip', '-n', srv.name, 'link', 'set', 'br0', 'up']);
    await sysctl(srv, 'net.ipv4.ip_forward', '1');
    // Second link: the host behind the server, which routes everything (the VPN pool too) back through it.
    await lab.addVeth(
      { ns: srv, ifname: 'lan0', cidr: `${SERVER_LAN}/24` },
      { ns: host, ifname: 'eth0', cidr: `${HOST_ADDRESS}/24` },
    );
    await must(['ip', '-n', host.name, 'route', 'add', 'default', 'via', SERVER_LAN]);

    // A port of the public bridge: a veth whose server end is enslaved to br0 and carries no address.
    let port = 0;
    const attach = async (peer: Netns, peerDev: string, cidr: string) => {
      const dev = `p${port++}`;
      await must([
        'ip',
        'link',
        'add',
        dev,
        'netns',
        srv.name,
        'type',
        'veth',
        'peer',
        'name',
        peerDev,
        'netns',
        peer.name,
      ]);
      await must(['ip', '-n', srv.name, 'link', 'set', dev, 'master', 'br0']);
      await must(['ip', '-n', srv.name, 'link', 'set', dev, 'up']);
      await must(['ip', '-n', peer.name, 'addr', 'add', cidr, 'dev', peerDev]);
      await must(['ip', '-n', peer.name, 'link', 'set', peerDev, 'up']);
    };

    let nat: Topology['nat'];
    if (kinds.includes('nat')) {
      const ns = await lab.addNetns(`${p}-nat`);
      nat = { ns: ns.name, netns: ns, publicAddress: NAT_PUBLIC };
      await attach(ns, 'wan0', `${NAT_PUBLIC}/24`);
      await sysctl(ns, 'net.ipv4.ip_forward', '1');
      await must(
        ['ip', 'netns', 'exec', ns.name, 'nft', '-f', '-'],
        'table ip l2snat {\n' +
          '  chain post { type nat hook postrouting priority srcnat; oifname "wan0" masquerade; }\n' +
          '}\n',
      );
    }
    const clients: ClientNodeNs[] = [];
    let direct = 0;
    let natted = 0;
    for (const [i, kind] of kinds.entries()) {
      const ns = await lab.addNetns(`${p}-c${i}`);
      if (kind === 'direct') {
        const address = `198.18.0.${10 + direct++}`;
        await attach(ns, 'eth0', `${address}/24`);
        clients.push({ ns: ns.name, netns: ns, kind, address });
      } else {
        const j = natted++;
        const address = `192.168.${100 + j}.2`;
        const gw = `192.168.${100 + j}.1`;
        await lab.addVeth(
          { ns: nat!.netns, ifname: `lan${j}`, cidr: `${gw}/24` },
          { ns, ifname: 'eth0', cidr: `${address}/24` },
        );
        await must(['ip', '-n', ns.name, 'route', 'add', 'default', 'via', gw]);
        clients.push({ ns: ns.name, netns: ns, kind, address });
      }
    }
    return new Topology(lab, {
      server: { ns: srv.name, netns: srv, publicAddress: SERVER_PUBLIC, lanAddress: SERVER_LAN },
      host: { ns: host.name, netns: host, address: HOST_ADDRESS },
      nat,
      clients,
    });
  }

  /** Runs a command inside `ns` and returns its stdout; throws with its stderr on failure. */
  exec(ns: string, cmd: string, args: readonly string[], input?: string): Promise<string> {
    return must(['ip', 'netns', 'exec', ns, cmd, ...args], input);
  }

  /** Starts a command inside `ns`; the lab ends it (SIGTERM, then SIGKILL) at destroy(). */
  spawn(ns: Netns, cmd: string, args: readonly string[], opts: SpawnOptions = {}): ChildProcess {
    return ns.spawn([cmd, ...args], opts);
  }

  /** True when `count` ICMP echoes from `ns` to `address` are all answered. */
  async ping(ns: string, address: string, count = 1, timeoutSeconds = 2): Promise<boolean> {
    const r = await run([
      'ip',
      'netns',
      'exec',
      ns,
      'ping',
      '-n',
      '-q',
      '-c',
      String(count),
      '-i',
      '0.2',
      '-W',
      String(timeoutSeconds),
      address,
    ]);
    return r.code === 0;
  }

  /** Every namespace of this topology. */
  namespaceNames(): string[] {
    return [
      this.server.ns,
      this.host.ns,
      ...(this.nat ? [this.nat.ns] : []),
      ...this.clients.map((c) => c.ns),
    ];
  }

  /** Ends processes started here and deletes every namespace (and so every interface). */
  async destroy(): Promise<void> {
    await this.lab.cleanup();
  }
}

/** Namespaces whose names start with `prefix` (to check that nothing leaked). */
export function existingNamespaces(prefix: string): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter((n) => n.startsWith(prefix));
}

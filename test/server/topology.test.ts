/**
 * The end-to-end namespace topology, proven with plain IP before any VPN runs over it: clients reach the
 * server's public address (directly, and through the masquerading NAT, where the server sees only the
 * NAT's address); the host behind the server is reachable from the server but NOT from the clients (so a
 * later ping through the VPN proves the tunnel); a TUN in the server's namespace carrying the tunnel
 * address gets the host's answers routed back to it, exactly the kernel half of the VPN's data path; and
 * destroy() leaves nothing behind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ip } from '../../src/net/ip-command.js';
import { intToIpv4 } from '../../src/net/ipv4-address.js';
import { Tun } from '../../src/net/tun.js';
import { icmpEcho, internetChecksum, parseIpv4 } from '../net/support/packets.js';
import { netnsUnavailable } from '../support/netns.js';
import {
  existingNamespaces,
  HOST_ADDRESS,
  NAT_PUBLIC,
  SERVER_LAN,
  SERVER_PUBLIC,
  Topology,
} from './support/topology.js';

const unavailable = netnsUnavailable();

describe.skipIf(unavailable !== undefined)(`e2e topology (${unavailable ?? 'root'})`, () => {
  let topo: Topology;

  beforeAll(async () => {
    topo = await Topology.create({ purpose: 'topo', clients: ['direct', 'nat', 'nat'] });
  });
  afterAll(async () => {
    await topo?.destroy();
  });

  it('names every namespace uniquely after this process', () => {
    const names = topo.namespaceNames();
    expect(names).toHaveLength(6);
    expect(new Set(names).size).toBe(6);
    for (const n of names) expect(n).toMatch(new RegExp(`^l2s-topo-.*-${process.pid}-\\d+$`));
    expect(topo.clients.map((c) => [c.kind, c.address])).toEqual([
      ['direct', '198.18.0.10'],
      ['nat', '192.168.100.2'],
      ['nat', '192.168.101.2'],
    ]);
  });

  it('every client reaches the server public address; the server reaches the host behind it', async () => {
    for (const c of topo.clients) expect(await topo.ping(c.ns, SERVER_PUBLIC), c.ns).toBe(true);
    expect(await topo.ping(topo.server.ns, HOST_ADDRESS)).toBe(true);
    expect(await topo.ping(topo.host.ns, SERVER_LAN)).toBe(true);
  });

  it('without a VPN the host behind the server is unreachable from every client', async () => {
    for (const c of topo.clients) expect(await topo.ping(c.ns, HOST_ADDRESS, 1, 1), c.ns).toBe(false);
  });

  it('clients behind the NAT appear to the server as the NAT address (masquerade)', async () => {
    await topo.exec(
      topo.server.ns,
      'nft',
      ['-f', '-'],
      'table ip l2sprobe {\n' +
        '  chain in {\n' +
        '    type filter hook input priority 0;\n' +
        `    ip saddr ${NAT_PUBLIC} icmp type echo-request counter\n` +
        '    ip saddr 192.168.0.0/16 icmp type echo-request counter\n' +
        '  }\n' +
        '}\n',
    );
    for (const c of topo.clients.filter((x) => x.kind === 'nat'))
      expect(await topo.ping(c.ns, SERVER_PUBLIC, 2)).toBe(true);
    const rules = await topo.exec(topo.server.ns, 'nft', ['list', 'chain', 'ip', 'l2sprobe', 'in']);
    const counts = [...rules.matchAll(/counter packets (\d+)/g)].map((m) => Number(m[1]));
    expect(counts[0]).toBeGreaterThanOrEqual(4); // both NAT'd clients, 2 echoes each, seen from 198.18.0.2
    expect(counts[1]).toBe(0); // never a private source
  });

  it("a TUN in the server's namespace has the host's replies routed back through it", async () => {
    const replies: Buffer[] = [];
    const tun = Tun.open((buf, off, len) => replies.push(Buffer.from(buf.subarray(off, off + len))), {
      name: 'l2stopo%d',
    });
    try {
      ip(['link', 'set', 'dev', tun.name, 'netns', topo.server.ns]);
      tun.configure({ address: '192.168.42.1', peer: '192.168.42.10', netns: topo.server.ns });
      // As if the client 192.168.42.10 had sent it through the tunnel: the server forwards to the host,
      // the host answers via its default route, the server routes the answer to the TUN.
      const echo = icmpEcho('192.168.42.10', HOST_ADDRESS, 0x5151, 1, Buffer.from('through the server'));
      expect(tun.write(echo, 0, echo.length)).toBe(true);
      const end = Date.now() + 3000;
      while (!replies.some((r) => r[9] === 1 && r[20] === 0) && Date.now() < end) {
        await new Promise((r) => setTimeout(r, 20));
      }
      const reply = replies.find((r) => r[9] === 1 && r[20] === 0);
      expect(reply, 'echo reply from the host through the TUN').toBeDefined();
      const h = parseIpv4(reply!, 0);
      expect(intToIpv4(h.src)).toBe(HOST_ADDRESS);
      expect(intToIpv4(h.dst)).toBe('192.168.42.10');
      expect(h.ttl).toBe(63); // one hop: forwarded by the server's kernel
      expect(reply!.readUInt16BE(24)).toBe(0x5151);
      expect(internetChecksum(reply!, 20, reply!.length - 20)).toBe(0);
    } finally {
      tun.close();
    }
  });

  it('destroy() deletes every namespace', async () => {
    const names = topo.namespaceNames();
    await topo.destroy();
    const left = existingNamespaces('l2s-topo-').filter((n) => names.includes(n));
    expect(left).toEqual([]);
  });
});

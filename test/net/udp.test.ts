/**
 * UDP endpoints: one socket per local address, each datagram tagged with the local address it arrived on,
 * replies leaving from that same address (the reason for one socket per address: dgram has no
 * IP_PKTINFO), and the set following address changes. Loopback only (127.0.0.0/8 is all local on lo).
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { type UdpEndpoint, UdpEndpoints } from '../../src/net/udp.js';

interface Got {
  msg: string;
  from: string;
  local: UdpEndpoint;
}

function client(): Promise<Socket> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.bind(0, '127.0.0.1', () => resolve(s));
  });
}

function nextMessage(s: Socket): Promise<{ msg: string; address: string; port: number }> {
  return new Promise((resolve) =>
    s.once('message', (m, r) => resolve({ msg: m.toString(), address: r.address, port: r.port })),
  );
}

describe('UdpEndpoints', () => {
  const open: UdpEndpoints[] = [];
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const e of open.splice(0)) await e.close();
    for (const s of sockets.splice(0)) s.close();
  });

  it('tells which local address a datagram arrived on and replies from it', async () => {
    const got: Got[] = [];
    let notify: (() => void) | undefined;
    const eps = new UdpEndpoints(
      (msg, rinfo, local) => {
        got.push({ msg: msg.toString(), from: `${rinfo.address}:${rinfo.port}`, local });
        eps.send(local, rinfo, Buffer.from(`echo:${msg}`));
        notify?.();
      },
      { listen: ['127.0.0.1', '127.0.0.2'], ports: [0, 0] },
    );
    open.push(eps);
    await eps.start();
    const bound = eps.endpoints();
    expect(bound.map((b) => b.address).sort()).toEqual(['127.0.0.1', '127.0.0.1', '127.0.0.2', '127.0.0.2']);
    const c = await client();
    sockets.push(c);
    for (const ep of bound) {
      const reply = nextMessage(c);
      c.send(`to ${ep.address}:${ep.port}`, ep.port, ep.address);
      const r = await reply;
      expect(r).toEqual({ msg: `echo:to ${ep.address}:${ep.port}`, address: ep.address, port: ep.port });
    }
    expect(got.map((g) => `${g.local.address}:${g.local.port}`)).toEqual(
      bound.map((b) => `${b.address}:${b.port}`),
    );
    expect(got.every((g) => g.from === `127.0.0.1:${c.address().port}`)).toBe(true);
  });

  it('follows local addresses appearing and disappearing', async () => {
    let addrs = ['127.0.0.1'];
    const eps = new UdpEndpoints(() => {}, { ports: [0], rescanIntervalMs: 0, localAddresses: () => addrs });
    open.push(eps);
    await eps.start();
    expect(eps.endpoints().map((e) => e.address)).toEqual(['127.0.0.1']);
    addrs = ['127.0.0.1', '127.0.0.3'];
    await eps.sync();
    expect(
      eps
        .endpoints()
        .map((e) => e.address)
        .sort(),
    ).toEqual(['127.0.0.1', '127.0.0.3']);
    addrs = ['127.0.0.3'];
    await eps.sync();
    const left = eps.endpoints();
    expect(left.map((e) => e.address)).toEqual(['127.0.0.3']);
    // The vanished address's socket is really closed: sending from it is refused and counted.
    expect(
      eps.send({ address: '127.0.0.1', port: 1 }, { address: '127.0.0.1', port: 9 }, Buffer.from('x')),
    ).toBe(false);
    expect(eps.counters.get('no-socket')).toBe(1);
  });

  it('an explicit --listen address that cannot be bound is an error', async () => {
    const eps = new UdpEndpoints(() => {}, { listen: ['192.0.2.123'], ports: [0] });
    await expect(eps.start()).rejects.toThrow(/EADDRNOTAVAIL/);
  });

  it('a port already taken on the same address is an error naming it', async () => {
    const first = new UdpEndpoints(() => {}, { listen: ['127.0.0.1'], ports: [0] });
    open.push(first);
    await first.start();
    const port = first.endpoints()[0].port;
    const second = new UdpEndpoints(() => {}, { listen: ['127.0.0.1'], ports: [port] });
    await expect(second.start()).rejects.toThrow(/EADDRINUSE/);
  });

  it('a throwing handler is contained; the socket keeps receiving', async () => {
    let n = 0;
    let notify: (() => void) | undefined;
    const eps = new UdpEndpoints(
      () => {
        n++;
        notify?.();
        if (n === 1) throw new Error('handler bug');
      },
      { listen: ['127.0.0.1'], ports: [0] },
    );
    open.push(eps);
    await eps.start();
    const ep = eps.endpoints()[0];
    const c = await client();
    sockets.push(c);
    for (let i = 0; i < 2; i++) {
      const seen = new Promise<void>((r) => {
        notify = r;
      });
      c.send('x', ep.port, ep.address);
      await seen;
    }
    expect(n).toBe(2);
  });
});

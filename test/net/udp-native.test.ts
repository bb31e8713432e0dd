/**
 * The native UDP socket on loopback: IP_PKTINFO tells a wildcard socket which local address each
 * datagram was sent to; replies pinned to that address leave from it; batched sends (sendmmsg) and reads
 * (recvmmsg) lose nothing; oversize datagrams are counted, not delivered; it interoperates with Node's
 * dgram; and a port in use is a typed error.
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { intToIpv4, ipv4ToInt } from '../../src/net/ipv4-address.js';
import { NativeUdpSocket } from '../../src/net/udp-native.js';

interface Got {
  data: Buffer;
  src: string;
  srcPort: number;
  local: string;
}

function collector(): {
  got: Got[];
  handler: Parameters<typeof NativeUdpSocket.open>[1];
  wait: (n: number) => Promise<void>;
} {
  const got: Got[] = [];
  let wake: (() => void) | undefined;
  return {
    got,
    handler: (buf, off, len, src, srcPort, local) => {
      got.push({
        data: Buffer.from(buf.subarray(off, off + len)),
        src: intToIpv4(src),
        srcPort,
        local: intToIpv4(local),
      });
      wake?.();
    },
    wait: async (n) => {
      const end = Date.now() + 3000;
      while (got.length < n) {
        if (Date.now() > end) throw new Error(`only ${got.length} of ${n} datagrams arrived`);
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 50);
        });
      }
    },
  };
}

describe('NativeUdpSocket', () => {
  const open: NativeUdpSocket[] = [];
  const dgrams: Socket[] = [];
  afterEach(() => {
    for (const s of open.splice(0)) s.close();
    for (const s of dgrams.splice(0)) s.close();
  });

  it('a wildcard socket knows the local address each datagram was sent to and replies from it', async () => {
    const server = collector();
    const client = collector();
    const srv = NativeUdpSocket.open(0, server.handler);
    const cli = NativeUdpSocket.open(0, client.handler, { address: '127.0.0.1' });
    open.push(srv, cli);
    expect(srv.port).toBeGreaterThan(0);
    expect(cli.send(Buffer.from('to .1'), 0, 5, '127.0.0.1', srv.port)).toBe(true);
    expect(cli.send(Buffer.from('to .2'), 0, 5, '127.0.0.2', srv.port)).toBe(true);
    await server.wait(2);
    expect(server.got).toEqual([
      { data: Buffer.from('to .1'), src: '127.0.0.1', srcPort: cli.port, local: '127.0.0.1' },
      { data: Buffer.from('to .2'), src: '127.0.0.1', srcPort: cli.port, local: '127.0.0.2' },
    ]);
    // Reply from the address the request was sent to.
    const req = server.got[1];
    expect(srv.send(Buffer.from('reply'), 0, 5, req.src, req.srcPort, req.local)).toBe(true);
    await client.wait(1);
    expect(client.got[0]).toEqual({
      data: Buffer.from('reply'),
      src: '127.0.0.2',
      srcPort: srv.port,
      local: '127.0.0.1',
    });
  });

  it('queued sends go out in batches and all arrive, in order, with their own destinations', async () => {
    const server = collector();
    const srv = NativeUdpSocket.open(0, server.handler, { address: '127.0.0.1', batch: 16 });
    const cli = NativeUdpSocket.open(0, () => {}, { address: '127.0.0.1', batch: 16 });
    open.push(srv, cli);
    const dst = ipv4ToInt('127.0.0.1');
    for (let i = 0; i < 100; i++) {
      // Zero-copy form: write at sendOffset, then commit (auto-flush every 16).
      const off = cli.sendOffset;
      cli.sendBuffer.writeUInt32BE(i, off);
      cli.sendBuffer.fill(i & 255, off + 4, off + 200);
      cli.commit(200, dst, srv.port);
    }
    expect(cli.flush()).toBe(100 % 16);
    expect(cli.txPackets).toBe(100);
    await server.wait(100);
    expect(server.got.map((g) => g.data.readUInt32BE(0))).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(
      server.got.every((g) => g.data.length === 200 && g.data[199] === (g.data.readUInt32BE(0) & 255)),
    ).toBe(true);
    // The copying form too.
    expect(cli.enqueue(Buffer.from('copied'), 0, 6, dst, srv.port)).toBe(true);
    expect(cli.flush()).toBe(1);
    await server.wait(101);
    expect(server.got[100].data.toString()).toBe('copied');
  });

  it('a datagram larger than maxDatagram is counted as oversize and not delivered', async () => {
    const server = collector();
    const srv = NativeUdpSocket.open(0, server.handler, { address: '127.0.0.1', maxDatagram: 1024 });
    const cli = NativeUdpSocket.open(0, () => {}, { address: '127.0.0.1' });
    open.push(srv, cli);
    expect(cli.send(Buffer.alloc(3000), 0, 3000, '127.0.0.1', srv.port)).toBe(true);
    expect(cli.send(Buffer.from('small'), 0, 5, '127.0.0.1', srv.port)).toBe(true);
    await server.wait(1);
    expect(server.got.map((g) => g.data.toString())).toEqual(['small']);
    expect(srv.counters.get('oversize')).toBe(1);
  });

  it("interoperates with Node's dgram both ways", async () => {
    const server = collector();
    const srv = NativeUdpSocket.open(0, server.handler, { address: '127.0.0.1' });
    open.push(srv);
    const d = createSocket('udp4');
    dgrams.push(d);
    await new Promise<void>((r) => d.bind(0, '127.0.0.1', () => r()));
    const reply = new Promise<string>((r) => d.once('message', (m) => r(m.toString())));
    d.send('hello native', srv.port, '127.0.0.1');
    await server.wait(1);
    expect(server.got[0]).toMatchObject({ data: Buffer.from('hello native'), srcPort: d.address().port });
    srv.send(Buffer.from('hello dgram'), 0, 11, '127.0.0.1', d.address().port);
    expect(await reply).toBe('hello dgram');
  });

  it('a port already in use is a typed error', () => {
    const a = NativeUdpSocket.open(0, () => {}, { address: '127.0.0.1' });
    open.push(a);
    expect(() => NativeUdpSocket.open(a.port, () => {}, { address: '127.0.0.1' })).toThrow(
      expect.objectContaining({ code: 'EADDRINUSE', syscall: 'bind' }),
    );
  });

  it('a failing send is counted, not thrown', () => {
    const a = NativeUdpSocket.open(0, () => {}, { address: '127.0.0.1' });
    open.push(a);
    // Port 0 is not a valid destination.
    expect(a.send(Buffer.from('x'), 0, 1, '127.0.0.1', 0)).toBe(false);
    expect(a.counters.get('send-error')).toBe(1);
  });
});

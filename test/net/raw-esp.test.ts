/**
 * Raw ESP (IP protocol 50) through the native edge, on loopback: a packet sent is received with its outer
 * addresses and the ESP bytes intact (RFC 4303 section 2: SPI, sequence number, payload); the source
 * address can be pinned (IP_PKTINFO). Without privilege the socket (and the TUN) refuse (EPERM), which
 * RawEsp.tryOpen turns into "unavailable" rather than a crash.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { intToIpv4 } from '../../src/net/ipv4-address.js';
import { loadNative } from '../../src/net/native.js';
import { RawEsp } from '../../src/net/raw-esp.js';
import { isRoot } from '../support/netns.js';

const NEEDS_ROOT = 'needs root (raw sockets, setuid)';

interface Got {
  bytes: Buffer;
  src: string;
  dst: string;
}

describe.skipIf(!isRoot)(`raw ESP socket (${isRoot ? 'root' : NEEDS_ROOT})`, () => {
  const got: Got[] = [];
  let notify: (() => void) | undefined;
  const esp = RawEsp.open((buf, off, len, src, dst) => {
    got.push({ bytes: Buffer.from(buf.subarray(off, off + len)), src: intToIpv4(src), dst: intToIpv4(dst) });
    notify?.();
  });
  afterAll(() => esp.close());

  function espPacket(spi: number, seq: number, body: string): Buffer {
    const b = Buffer.alloc(8 + body.length);
    b.writeUInt32BE(spi, 0);
    b.writeUInt32BE(seq, 4);
    b.write(body, 8);
    return b;
  }

  async function receive(spi: number): Promise<Got> {
    const end = Date.now() + 3000;
    for (;;) {
      const hit = got.find((g) => g.bytes.readUInt32BE(0) === spi);
      if (hit) return hit;
      if (Date.now() > end) throw new Error('no ESP packet received');
      await new Promise<void>((r) => {
        notify = r;
        setTimeout(r, 50);
      });
    }
  }

  it('sends and receives ESP over IP with its outer addresses', async () => {
    const spi = 0x7e570000 + (process.pid & 0xffff);
    const pkt = espPacket(spi, 1, 'opaque ESP payload');
    expect(esp.send(pkt, 0, pkt.length, '127.0.0.1')).toBe(true);
    const g = await receive(spi);
    expect(g.bytes).toEqual(pkt);
    expect(g.src).toBe('127.0.0.1');
    expect(g.dst).toBe('127.0.0.1');
  });

  it('pins the source address when asked', async () => {
    const spi = 0x7e580000 + (process.pid & 0xffff);
    const pkt = espPacket(spi, 2, 'from 127.0.0.5');
    expect(esp.send(pkt, 0, pkt.length, '127.0.0.1', '127.0.0.5')).toBe(true);
    const g = await receive(spi);
    expect(g.src).toBe('127.0.0.5');
    expect(g.bytes).toEqual(pkt);
  });

  it('refuses (and counts) a send to an unusable destination instead of throwing', () => {
    const pkt = espPacket(1, 1, 'x');
    // A pinned source address that is not ours: the kernel refuses the send (EINVAL).
    expect(esp.send(pkt, 0, pkt.length, '127.0.0.1', '192.0.2.1')).toBe(false);
    expect(esp.counters.get('send-error')).toBe(1);
  });
});

describe.skipIf(!isRoot)('without privilege', () => {
  it('raw ESP and TUN refuse with EPERM, as typed errors', () => {
    loadNative(); // make sure the addon exists before testing its errors
    // The unprivileged child must be able to read the addon even when the checkout's folder is private
    // (e.g. under a 0700 mktemp directory): give it a world-readable copy.
    const built = new URL('../../build/Release/l2tpsec_net.node', import.meta.url).pathname;
    const dir = mkdtempSync(join(tmpdir(), 'l2s-addon-'));
    chmodSync(dir, 0o755);
    const addon = join(dir, 'l2tpsec_net.node');
    copyFileSync(built, addon);
    chmodSync(addon, 0o644);
    const script = `
      const m = require(${JSON.stringify(addon)});
      const out = {};
      try { m.openRawEsp(); out.raw = 'opened'; } catch (e) { out.raw = e.code; }
      try { m.openTun('l2snopriv0'); out.tun = 'opened'; } catch (e) { out.tun = e.code; }
      console.log(JSON.stringify(out));`;
    const r = spawnSync(process.execPath, ['-e', script], { uid: 65534, gid: 65534, encoding: 'utf8' });
    rmSync(dir, { recursive: true, force: true });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as { raw: string; tun: string };
    expect(out.raw).toBe('EPERM');
    // TUNSETIFF needs CAP_NET_ADMIN (EPERM); where /dev/net/tun is root-only, open() already says EACCES.
    expect(['EPERM', 'EACCES']).toContain(out.tun);
  });
});

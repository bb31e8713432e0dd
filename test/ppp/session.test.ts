import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LocalAuthenticator } from '../../src/aaa/local-authenticator.js';
import type { AuthMethod } from '../../src/ppp/auth-protocol.js';
import { CHAP_CODE, decodeChapPacket } from '../../src/ppp/chap.js';
import { parseFailureMessage } from '../../src/ppp/mschapv2-messages.js';
import { decodeCpPacket } from '../../src/ppp/packet.js';
import { CP_CODE, PPP_PROTOCOL } from '../../src/ppp/protocol.js';
import { Pair } from './harness.js';

const METHODS: AuthMethod[] = ['mschapv2', 'chap-md5', 'pap'];

function protocolOf(frame: Buffer): number {
  return frame.readUInt16BE(2);
}

describe('PPP client <-> server in process', () => {
  for (const method of METHODS) {
    it(`${method}: authenticates, assigns an address and DNS, carries IPv4, terminates cleanly`, async () => {
      const pair = new Pair({ server: { authMethods: [method] } });
      pair.start();
      await pair.run(() => pair.bothUp());
      const [sup] = pair.of('server', 'up');
      const [cup] = pair.of('client', 'up');
      expect(sup).toMatchObject({ user: 'alice', localAddress: '10.99.0.1', peerAddress: '10.99.0.10' });
      expect(cup).toMatchObject({
        user: 'alice',
        localAddress: '10.99.0.10',
        peerAddress: '10.99.0.1',
        dns: ['10.99.0.53', '10.99.0.54'],
      });
      expect(sup.mtu).toBe(1400); // the client's MRU
      const authProto = method === 'pap' ? PPP_PROTOCOL.PAP : PPP_PROTOCOL.CHAP;
      expect(pair.wire.some((w) => protocolOf(w.frame) === authProto)).toBe(true);
      expect(pair.pool.outstanding).toEqual(new Set(['10.99.0.10']));

      // An IPv4 packet from the client reaches the server's data output.
      const ip = Buffer.from('450000140000000040110000', 'hex');
      const data = pair.server.receive(Buffer.concat([Buffer.from('ff030021', 'hex'), ip]), pair.clock.now());
      expect(data).toEqual([{ type: 'data', protocol: PPP_PROTOCOL.IPV4, packet: ip }]);

      pair.handle('client', pair.client.close(pair.clock.now(), 'user hangs up'));
      await pair.run(() => pair.bothFinished());
      expect(pair.of('server', 'down')).toHaveLength(1);
      expect(pair.of('client', 'down')).toHaveLength(1);
      expect(pair.of('server', 'finished')[0].reason).toBe('peer-terminated');
      expect(pair.pool.outstanding.size).toBe(0);
    });

    it(`${method}: wrong password fails, LCP terminates, nothing is leaked`, async () => {
      const pair = new Pair({ server: { authMethods: [method] }, client: { password: 'wrong' } });
      pair.start();
      await pair.run(() => pair.bothFinished());
      expect(pair.of('server', 'auth-failed')).toMatchObject([{ method, user: 'alice' }]);
      expect(pair.of('client', 'auth-failed')).toHaveLength(1);
      expect(pair.of('server', 'up')).toHaveLength(0);
      expect(pair.of('client', 'up')).toHaveLength(0);
      expect(pair.of('server', 'down')).toHaveLength(1);
      expect(pair.pool.allocations).toBe(0);
      expect(pair.pool.outstanding.size).toBe(0);
      // LCP Terminate-Request went out from the server after the failure.
      const lcpFromServer = pair.wire
        .filter((w) => w.from === 'server' && protocolOf(w.frame) === PPP_PROTOCOL.LCP)
        .map((w) => decodeCpPacket(w.frame.subarray(4)).code);
      expect(lcpFromServer).toContain(CP_CODE.TERMINATE_REQUEST);
      if (method === 'mschapv2') {
        const failure = pair.wire
          .filter((w) => w.from === 'server' && protocolOf(w.frame) === PPP_PROTOCOL.CHAP)
          .map((w) => decodeChapPacket(w.frame.subarray(4)))
          .find((p) => p.code === CHAP_CODE.FAILURE);
        expect(failure && 'message' in failure ? failure.message : '').toMatch(
          /^E=691 R=0 C=[0-9A-F]{32} V=3 M=\S/,
        );
        expect(parseFailureMessage(failure && 'message' in failure ? failure.message : '')).toMatchObject({
          error: 691,
          retry: false,
          version: 3,
        });
      }
    });
  }

  it('MS-CHAPv2 with an NT-hash-only user and a DOMAIN\\user name', async () => {
    const pair = new Pair({ client: { user: 'CORP\\bob', password: 'password' } });
    pair.start();
    await pair.run(() => pair.bothUp());
    expect(pair.of('server', 'up')[0].user).toBe('bob');
  });

  it('a static address from the users file wins over the pool', async () => {
    const pair = new Pair({ client: { user: 'carol', password: 'secret' } });
    pair.start();
    await pair.run(() => pair.bothUp());
    expect(pair.of('client', 'up')[0].localAddress).toBe('10.99.1.7');
    expect(pair.pool.allocations).toBe(0);
  });

  it('server preference: a client that only does CHAP-MD5 Naks MS-CHAPv2 and gets CHAP-MD5', async () => {
    const pair = new Pair({ client: { authMethods: ['chap-md5'] } });
    pair.start();
    await pair.run(() => pair.bothUp());
    const challenge = pair.wire.find((w) => w.from === 'server' && protocolOf(w.frame) === PPP_PROTOCOL.CHAP);
    expect(challenge).toBeDefined();
    // The server's LCP request after the Nak names CHAP with algorithm 5.
    const requests = pair.wire
      .filter((w) => w.from === 'server' && protocolOf(w.frame) === PPP_PROTOCOL.LCP)
      .map((w) => decodeCpPacket(w.frame.subarray(4)))
      .filter((p) => p.code === CP_CODE.CONFIGURE_REQUEST);
    expect(requests[0].data.toString('hex')).toContain('0305c22381');
    expect(requests.at(-1)?.data.toString('hex')).toContain('0305c22305');
  });

  it('PAP is not offered unless enabled: a PAP-only client cannot connect to a default server', async () => {
    const pair = new Pair({ client: { authMethods: ['pap'] } });
    pair.start();
    await pair.run(() => pair.bothFinished());
    expect(pair.of('server', 'finished')[0].reason).toMatch(/refused every authentication method/);
    expect(pair.of('server', 'up')).toHaveLength(0);
    expect(pair.wire.some((w) => protocolOf(w.frame) === PPP_PROTOCOL.PAP)).toBe(false);
  });

  it('retransmits the Challenge when the first is lost (pppd drops early challenges)', async () => {
    let dropped = 0;
    const pair = new Pair({
      drop: (from, frame) => {
        if (from === 'server' && protocolOf(frame) === PPP_PROTOCOL.CHAP && dropped === 0) {
          dropped++;
          return true;
        }
        return false;
      },
    });
    pair.start();
    await pair.run(() => pair.bothUp());
    expect(dropped).toBe(1);
    const challenges = pair.wire.filter(
      (w) => w.from === 'server' && protocolOf(w.frame) === PPP_PROTOCOL.CHAP,
    );
    expect(challenges[0].frame.equals(challenges[1].frame)).toBe(true);
    expect(pair.clock.now()).toBe(3000);
  });

  it('a silent peer ends LCP after Max-Configure (10 requests, 3 s apart)', async () => {
    const pair = new Pair({ drop: (from) => from === 'server' || from === 'client' });
    pair.handle('server', pair.server.start(0));
    await pair.run(() => pair.of('server', 'finished').length > 0);
    const sent = pair.wire.filter((w) => w.from === 'server');
    expect(sent).toHaveLength(10);
    expect(sent.every((w) => decodeCpPacket(w.frame.subarray(4)).code === CP_CODE.CONFIGURE_REQUEST)).toBe(
      true,
    );
    expect(pair.clock.now()).toBe(30_000);
    expect(pair.of('server', 'finished')[0].reason).toMatch(/Max-Configure/);
    expect(pair.server.lcp.state).toBe('stopped');
  });

  it('a dead peer is found by the LCP Echo keep-alive', async () => {
    let cut = false;
    const pair = new Pair({
      server: { echoIntervalMs: 5000, echoFailures: 3 },
      drop: (from) => cut && from === 'client',
    });
    pair.start();
    await pair.run(() => pair.bothUp());
    // Keep-alives are answered while the link works.
    const t0 = pair.clock.now();
    await pair.run(() => pair.clock.now() >= t0 + 20_000, t0 + 20_000);
    expect(pair.of('server', 'down')).toHaveLength(0);
    cut = true;
    await pair.run(() => pair.of('server', 'finished').length > 0, pair.clock.now() + 60_000);
    expect(pair.of('server', 'down')[0].reason).toMatch(/dead peer/);
    expect(pair.pool.outstanding.size).toBe(0);
  });

  it('IPv6CP negotiates interface identifiers when both enable IPv6', async () => {
    const pair = new Pair({ server: { ipv6: true }, client: { ipv6: true } });
    pair.start();
    await pair.run(() => pair.of('server', 'ipv6-up').length > 0 && pair.of('client', 'ipv6-up').length > 0);
    const [s] = pair.of('server', 'ipv6-up');
    const [c] = pair.of('client', 'ipv6-up');
    expect(s.localLinkLocal).toBe(c.peerLinkLocal);
    expect(s.peerLinkLocal).toBe(c.localLinkLocal);
    expect(s.localLinkLocal).toMatch(/^fe80::/);
  });

  it('IPv6CP from a client is Protocol-Rejected when IPv6 is off, and IPv4 still comes up', async () => {
    const pair = new Pair({ client: { ipv6: true } });
    pair.start();
    await pair.run(() => pair.bothUp());
    const rejects = pair.wire
      .filter((w) => w.from === 'server' && protocolOf(w.frame) === PPP_PROTOCOL.LCP)
      .map((w) => decodeCpPacket(w.frame.subarray(4)))
      .filter((p) => p.code === CP_CODE.PROTOCOL_REJECT);
    expect(rejects.length).toBeGreaterThan(0);
    expect(rejects[0].data.readUInt16BE(0)).toBe(PPP_PROTOCOL.IPV6CP);
    expect(pair.client.ipv6cp?.state).toBe('stopped');
  });

  it('stale or late verification answers are ignored', async () => {
    const pair = new Pair();
    pair.start();
    await pair.run(() => pair.bothUp());
    const late = pair.server.verified(99, { ok: false, reason: 'late' }, pair.clock.now());
    expect(late).toEqual([]);
    expect(pair.server.phase).toBe('network');
  });
});

describe('PPP session bad input', () => {
  it('random frames in every phase never throw; unknown protocols get Protocol-Reject once Opened', async () => {
    const pair = new Pair();
    pair.start();
    await pair.run(() => pair.bothUp());
    const protocols = [0xc021, 0xc023, 0xc223, 0x8021, 0x8057, 0x80fd, 0x0021, 0x0057, 0x8281, 0x1234];
    fc.assert(
      fc.property(
        fc.constantFrom(...protocols),
        fc.uint8Array({ maxLength: 80 }),
        fc.boolean(),
        (protocol, body, address) => {
          const head = Buffer.alloc(address ? 4 : 2);
          if (address) head.write('ff03', 'hex');
          head.writeUInt16BE(protocol, head.length - 2);
          const frame = Buffer.concat([head, body]);
          pair.server.receive(frame, pair.clock.now());
          pair.client.receive(frame, pair.clock.now());
          return true;
        },
      ),
      { numRuns: 500 },
    );
    expect(pair.server.counters.total() + pair.server.lcp.counters.total()).toBeGreaterThan(0);
  });

  it('CCP (Windows asks for MPPE) is Protocol-Rejected; the session stays up', async () => {
    const pair = new Pair();
    pair.start();
    await pair.run(() => pair.bothUp());
    const ccp = Buffer.from('ff0380fd0101000a120601000001', 'hex');
    const out = pair.server.receive(ccp, pair.clock.now());
    expect(out).toHaveLength(1);
    const frame = out[0].type === 'send' ? out[0].frame : Buffer.alloc(0);
    const p = decodeCpPacket(frame.subarray(4));
    expect(p.code).toBe(CP_CODE.PROTOCOL_REJECT);
    expect(p.data.toString('hex')).toBe('80fd0101000a120601000001');
    expect(pair.server.phase).toBe('network');
  });

  it('frames too short for a protocol field are counted', () => {
    const pair = new Pair();
    expect(pair.server.receive(Buffer.from('ff03', 'hex'), 0)).toEqual([]);
    expect(pair.server.counters.get('malformed-frame')).toBe(1);
  });
});

describe('users file reload (SIGHUP) keeps sessions', () => {
  it('a reload that removes the user leaves the running session up; new logins see the new file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'l2s-reload-'));
    try {
      const path = join(dir, 'users.yaml');
      writeFileSync(path, 'users:\n  alice:\n    password: wonderland\n');
      const authenticator = await LocalAuthenticator.open(path);
      const pair = new Pair({ authenticator });
      pair.start();
      await pair.run(() => pair.bothUp());
      writeFileSync(path, 'users:\n  zed:\n    password: z\n');
      await authenticator.reload();
      const t = pair.clock.now();
      await pair.run(() => false, t + 60_000);
      expect(pair.of('server', 'down')).toHaveLength(0);
      expect(pair.server.phase).toBe('network');
      const again = new Pair({ authenticator });
      again.start();
      await again.run(() => again.bothFinished());
      expect(again.of('server', 'auth-failed')[0].reason).toMatch(/unknown user/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

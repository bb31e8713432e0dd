/**
 * The whole stack in one process (issue 7): a server VpnEndpoint and client VpnEndpoints over an in-memory
 * outer network. IKEv1 Main + Quick Mode (RFC 2409), ESP in UDP (RFC 3948), L2TP tunnel and session
 * (RFC 2661), PPP LCP / authentication / IPCP (RFC 1661, 1994, 2759, 1334, 1332) all come up for real, then
 * IPv4 packets cross the tunnel byte-exact in both directions.
 */

import { describe, expect, it } from 'vitest';
import { DEFAULT_ESP_POLICY, type EspSuiteChoice } from '../../src/ike/esp-policy.js';
import { ipv4ToInt } from '../../src/net/ipv4-address.js';
import type { AuthMethod } from '../../src/ppp/auth-protocol.js';
import { icmpEcho, internetChecksum, tcpChecksum, tcpSyn, udpPacket } from './support/ipv4.js';
import { DNS, PASSWORD, SERVER_ADDRESS, SERVER_TUNNEL_ADDRESS, USER, waitFor } from './support/pair.js';
import { carry, clientUp, inPool, NOTHING, pairLifecycle, roundTrip } from './support/scenario.js';

const pairs = pairLifecycle();

describe('endpoint pair: the whole chain comes up and carries IPv4', () => {
  it('MS-CHAPv2 (default): IKE SA, ESP SAs, L2TP tunnel + session, PPP with a pool address, data both ways', async () => {
    const p = await pairs.up();
    const c = p.client;
    // IKE: one SA each side, both report the same suite; two ESP SAs (in + out) installed on each side.
    expect(p.server.of('ike-up')).toHaveLength(1);
    expect(c.of('ike-up')).toHaveLength(1);
    expect(c.of('ike-up')[0].suite).toBe(p.server.of('ike-up')[0].suite);
    expect(p.server.of('sa-installed')).toHaveLength(1);
    expect(c.of('sa-installed')).toHaveLength(1);
    const sSa = p.server.of('sa-installed')[0].params;
    const cSa = c.of('sa-installed')[0].params;
    expect([sSa.spiIn, sSa.spiOut]).toEqual([cSa.spiOut, cSa.spiIn]);
    expect(p.server.endpoint.sad.size).toBe(2);
    expect(c.endpoint.sad.size).toBe(2);
    // L2TP: one tunnel, one session, each side.
    expect(p.server.endpoint.l2tp.tunnelCount).toBe(1);
    expect(p.server.endpoint.l2tp.sessionCount).toBe(1);
    expect(c.endpoint.l2tp.tunnelCount).toBe(1);
    expect(c.endpoint.l2tp.sessionCount).toBe(1);
    // PPP: the client got an address from the pool; both sides agree on both ends and on DNS.
    const sUp = p.server.of('session-up')[0];
    const cUp = clientUp(c);
    expect(sUp.user).toBe(USER);
    expect(sUp.session.ppp.lcp.negotiated.auth).toBe('mschapv2');
    expect(inPool(cUp.localAddress)).toBe(true);
    expect(cUp.localAddress).toBe(sUp.peerAddress);
    expect(cUp.peerAddress).toBe(SERVER_TUNNEL_ADDRESS);
    expect(sUp.localAddress).toBe(SERVER_TUNNEL_ADDRESS);
    expect(cUp.dns).toEqual(DNS);
    expect(p.pool.leased).toBe(1);
    expect(p.pool.holder(cUp.localAddress)?.user).toBe(USER);

    await roundTrip(p, c, 'mschapv2');
    // Nothing of the inner packets crossed the outer wire in the clear: after Main Mode every datagram is
    // ESP or encrypted ISAKMP.
    for (const w of p.net.wire) expect(w.data.includes('ping mschapv2')).toBe(false);
    expect(p.server.endpoint.sessions.byInnerAddress(ipv4ToInt(cUp.localAddress))?.packetsIn).toBe(1);
  });

  it('drops and counts a packet whose source is not the address IPCP assigned (anti-spoofing)', async () => {
    const p = await pairs.up();
    const c = p.client;
    const spoofed = icmpEcho('192.168.42.99', SERVER_TUNNEL_ADDRESS, 1, Buffer.from('spoofed'));
    const before = p.server.endpoint.counterSnapshot().datapath['ip-spoofed-source'] ?? 0;
    c.endpoint.outbound.packet(spoofed, 0, spoofed.length);
    await waitFor(
      'the spoof counter',
      () => (p.server.endpoint.counterSnapshot().datapath['ip-spoofed-source'] ?? 0) > before,
    );
    expect(p.server.device.packets).toHaveLength(0);
    // The same tunnel still carries a genuine packet afterwards.
    await roundTrip(p, c, 'after-spoof');
    // A server-side packet to an address no session holds has no route.
    const stray = udpPacket(SERVER_TUNNEL_ADDRESS, '192.168.42.77', 1, 2, Buffer.from('x'));
    p.server.endpoint.outbound.packet(stray, 0, stray.length);
    expect(p.server.endpoint.counterSnapshot().datapath['no-route']).toBe(1);
  });

  it('clamps the MSS of a TCP SYN crossing the tunnel to 1360 (checksum still valid) and leaves smaller ones', async () => {
    const p = await pairs.up();
    const address = clientUp(p.client).localAddress;
    // MSS 1460 at an aligned offset, then behind one NOP (odd offset: RFC 1624's byte-swapped update).
    for (const options of [
      [2, 4, 0x05, 0xb4],
      [1, 2, 4, 0x05, 0xb4],
    ]) {
      const syn = tcpSyn(address, SERVER_TUNNEL_ADDRESS, options);
      const got = await carry(p.client, p.server, syn);
      const at = 40 + options.indexOf(2) + 2;
      expect(got.readUInt16BE(at)).toBe(1360);
      expect(tcpChecksum(got)).toBe(0);
      // Only the MSS value and the TCP checksum changed.
      const masked = (b: Buffer) => {
        const c = Buffer.from(b);
        c.writeUInt16BE(0, at);
        c.writeUInt16BE(0, 36);
        return c;
      };
      expect(masked(got)).toEqual(masked(syn));
    }
    const small = tcpSyn(address, SERVER_TUNNEL_ADDRESS, [2, 4, 0x04, 0xb0]);
    expect(await carry(p.client, p.server, small)).toEqual(small);
  });

  for (const method of ['chap-md5', 'pap'] as const) {
    it(`${method} when the server offers only it`, async () => {
      const p = await pairs.up({ serverAuthMethods: [method] });
      expect(p.server.of('session-up')[0].session.ppp.lcp.negotiated.auth).toBe(method);
      expect(p.server.of('session-up')[0].user).toBe(USER);
      await roundTrip(p, p.client, method);
    });
  }
});

describe('endpoint pair: refusals leave nothing behind', () => {
  const methods: readonly AuthMethod[] = ['mschapv2', 'chap-md5', 'pap'];
  for (const method of methods) {
    it(`wrong password (${method}) → auth-failed, session down, no lease, no session left`, async () => {
      const p = pairs.make({ serverAuthMethods: [method], clients: [{ password: `${PASSWORD}!` }] });
      p.dial();
      await waitFor('auth-failed on the server', () => p.server.of('auth-failed').length > 0);
      expect(p.server.of('auth-failed')[0]).toMatchObject({ method, user: USER });
      await waitFor(
        'session-down on both sides',
        () => p.server.of('session-down').length > 0 && p.client.of('session-down').length > 0,
      );
      await waitFor(
        'no session on either side',
        () =>
          p.server.endpoint.sessions.size === 0 &&
          p.client.endpoint.sessions.size === 0 &&
          p.server.endpoint.l2tp.sessionCount === 0,
      );
      expect(p.server.of('session-up')).toHaveLength(0);
      expect(p.client.of('session-up')).toHaveLength(0);
      expect(p.pool.leased).toBe(0);
      expect(p.server.device.packets).toHaveLength(0);
    });
  }

  it('no ESP suite in common → Quick Mode refused (NO-PROPOSAL-CHOSEN): child-sa-failed, no ESP SA', async () => {
    const p = pairs.make({
      serverIke: {
        esp: {
          ...DEFAULT_ESP_POLICY,
          suites: [{ cipher: 'aes-gcm-16', keyBits: 256, integrity: undefined }],
        },
      },
      clients: [{ esp: [{ cipher: '3des-cbc', keyBits: 192, integrity: 'hmac-sha1-96' }] }],
    });
    p.dial();
    await waitFor('child-sa-failed on the client', () => p.client.of('child-sa-failed').length > 0);
    // RFC 2408 section 3.14.1: NO-PROPOSAL-CHOSEN is notify type 14.
    expect(p.client.of('child-sa-failed')[0].notify).toBe(14);
    expect(p.client.of('ike-up')).toHaveLength(1);
    expect(p.client.endpoint.sad.size).toBe(0);
    expect(p.server.endpoint.sad.size).toBe(0);
    expect(p.server.endpoint.l2tp.tunnelCount).toBe(0);
  });

  it('wrong PSK → Main Mode fails, no IKE SA and no ESP SA on either side', async () => {
    const p = pairs.make({ clients: [{ psk: 'not-the-psk' }] });
    p.dial();
    await waitFor('the client to give up on IKE', () => p.client.of('ike-down').length > 0);
    expect(p.client.of('ike-down')[0].reason).toBe('failed');
    await waitFor('the server to drop its half', () => p.server.endpoint.ike.ikeSas().length === 0);
    expect(p.server.of('ike-up')).toHaveLength(0);
    expect(p.client.of('ike-up')).toHaveLength(0);
    expect(p.serverHoldings()).toEqual(NOTHING);
    expect(p.clientHoldings()).toEqual(NOTHING);
  });
});

describe('endpoint pair: teardown frees every SA, session and lease', () => {
  it('from the client (shutdown)', async () => {
    const p = await pairs.up();
    await p.client.endpoint.shutdown(200);
    await waitFor('server session-down', () => p.server.of('session-down').length > 0);
    await waitFor(
      'the server to hold nothing',
      () => Object.values(p.serverHoldings()).every((n) => n === 0),
      5000,
    );
    expect(p.serverHoldings()).toEqual(NOTHING);
    expect(p.clientHoldings()).toEqual(NOTHING);
    expect(p.client.of('session-down')).toHaveLength(1);
  });

  it('from the server (shutdown)', async () => {
    const p = await pairs.up();
    await p.server.endpoint.shutdown(200);
    await waitFor('client session-down', () => p.client.of('session-down').length > 0);
    await waitFor(
      'the client to hold nothing',
      () => Object.values(p.clientHoldings()).every((n) => n === 0),
      5000,
    );
    expect(p.clientHoldings()).toEqual(NOTHING);
    expect(p.serverHoldings()).toEqual(NOTHING);
    expect(p.server.of('session-down')).toHaveLength(1);
  });
});

describe('endpoint pair: several clients and L2TP options', () => {
  it('eight clients behind one NAT: eight IKE SAs, eight distinct pool addresses, no cross-talk', async () => {
    const p = await pairs.up({ nat: true, clients: Array.from({ length: 8 }, () => ({})) }, 15_000);
    const addresses = p.clients.map((c) => clientUp(c).localAddress);
    expect(new Set(addresses).size).toBe(8);
    expect(p.pool.leased).toBe(8);
    expect(p.server.endpoint.ike.ikeSas()).toHaveLength(8);
    expect(p.server.endpoint.l2tp.tunnelCount).toBe(8);
    // The server reaches each client by its inner address, and only that client.
    for (const [i, c] of p.clients.entries()) {
      const pkt = udpPacket(SERVER_TUNNEL_ADDRESS, addresses[i], 53, 1000 + i, Buffer.from(`to ${i}`));
      expect(await carry(p.server, c, pkt)).toEqual(pkt);
    }
    for (const c of p.clients) expect(c.device.packets).toHaveLength(1);
  });

  it('data sequencing requested by the LAC (RFC 2661 section 5.4): data messages carry Ns both ways', async () => {
    const p = await pairs.up({ clients: [{ l2tp: { requireDataSequencing: true } }] });
    const server = [...p.server.endpoint.sessions.all()][0];
    expect(server.sequencing).toBe(true);
    const before = server.dataNs;
    await roundTrip(p, p.client, 'sequenced');
    expect(server.dataNs).toBe(before + 1);
  });
});

describe('endpoint pair: ESP suites', () => {
  const suites: readonly [string, EspSuiteChoice][] = [
    ['aes128-sha1', { cipher: 'aes-cbc', keyBits: 128, integrity: 'hmac-sha1-96' }],
    ['3des-sha1', { cipher: '3des-cbc', keyBits: 192, integrity: 'hmac-sha1-96' }],
    ['aes128gcm16', { cipher: 'aes-gcm-16', keyBits: 128, integrity: undefined }],
  ];
  for (const [name, suite] of suites) {
    it(`${name}: negotiated on both sides and carries data`, async () => {
      const p = await pairs.up({ clients: [{ esp: [suite] }] });
      for (const side of [p.server, p.client]) {
        const params = side.of('sa-installed')[0].params;
        expect(params.cipher).toBe(suite.cipher);
        expect(params.encryptionKeyBits).toBe(suite.keyBits);
        expect(params.integrity).toBe(suite.integrity);
      }
      await roundTrip(p, p.client, name);
    });
  }
});

describe('ipv4 test packets', () => {
  it('compute the RFC 791 header checksum (known header: 4500 0073 … checksum b861)', () => {
    const header = Buffer.from('450000730000400040110000c0a80001c0a800c7', 'hex');
    expect(internetChecksum(header, 0, 20).toString(16)).toBe('b861');
    const pkt = udpPacket(SERVER_ADDRESS, SERVER_TUNNEL_ADDRESS, 1, 2, Buffer.from('abc'));
    expect(internetChecksum(pkt, 0, 20)).toBe(0);
    expect(internetChecksum(icmpEcho('1.2.3.4', '5.6.7.8', 1, Buffer.alloc(5)), 20)).toBe(0);
  });
});

/**
 * RadiusClient against scripted RADIUS servers on loopback: retransmission of the same bytes, failover with
 * re-encoding for the next server's secret, the bound on outstanding requests, and every way a datagram is
 * refused (counted, never used) before the verified reply resolves the request.
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { AttributeType, findAttribute, readText } from '../../src/aaa/radius/attributes.js';
import { RadiusCode, type RadiusPacket } from '../../src/aaa/radius/packet.js';
import { RadiusAccounting, terminateCauseFor } from '../../src/aaa/radius/radius-accounting.js';
import { RadiusAuthenticator } from '../../src/aaa/radius/radius-authenticator.js';
import {
  RadiusBusyError,
  RadiusClient,
  type RadiusServerEndpoint,
} from '../../src/aaa/radius/radius-client.js';
import {
  hasValidAccountingRequestAuthenticator,
  hasValidRequestMessageAuthenticator,
} from '../../src/aaa/radius/signing.js';
import { recoverUserPassword } from '../../src/aaa/radius/user-password.js';
import { closeFakeServers, FakeServer } from './support/fake-radius.js';

const clients: RadiusClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  closeFakeServers();
});

async function clientFor(
  servers: RadiusServerEndpoint[],
  timeoutMs = 150,
  retries = 1,
  maxOutstanding?: number,
) {
  const c = await RadiusClient.open({
    servers,
    timeoutMs,
    retries,
    ...(maxOutstanding !== undefined ? { maxOutstanding } : {}),
  });
  clients.push(c);
  return c;
}

describe('RadiusClient', () => {
  it('retransmits the identical datagram, and uses the reply to it', async () => {
    const server = await FakeServer.open('secret-one', (_b, p, from, s) => {
      if (s.received.length === 2) s.send(s.reply(p, RadiusCode.AccessAccept), from);
    });
    const client = await clientFor([server.endpoint()]);
    const ok = await new RadiusAuthenticator(client).verify({ method: 'pap', user: 'u', password: 'pw' });
    expect(ok).toEqual({ ok: true, user: 'u', attributes: {} });
    expect(server.received).toHaveLength(2);
    expect(server.received[1]).toEqual(server.received[0]);
    expect(client.counters.snapshot()).toEqual({ sent: 1, retransmitted: 1, answered: 1 });
  });

  it('counts and drops every unusable datagram before the good one', async () => {
    let stranger: Socket | undefined;
    const server = await FakeServer.open('secret-two', (_b, p, from, s) => {
      s.send(Buffer.alloc(10), from); // malformed
      s.send(s.reply(p, RadiusCode.AccessAccept, { identifier: (p.identifier + 1) & 0xff }), from);
      stranger?.send(s.reply(p, RadiusCode.AccessAccept), from.port, from.address); // other source port
      s.send(s.reply(p, RadiusCode.AccountingResponse), from); // wrong code for an Access-Request
      const forged = s.reply(p, RadiusCode.AccessAccept);
      forged[5] ^= 1;
      s.send(forged, from); // bad Response Authenticator
      s.send(s.reply(p, RadiusCode.AccessAccept, { messageAuthenticator: false }), from); // BlastRADIUS rule
      setTimeout(() => s.send(s.reply(p, RadiusCode.AccessReject), from), 20);
    });
    stranger = createSocket('udp4');
    await new Promise<void>((resolve) => stranger?.bind(0, '127.0.0.1', () => resolve()));
    try {
      const client = await clientFor([server.endpoint()], 1000, 0);
      const r = await new RadiusAuthenticator(client).verify({ method: 'pap', user: 'u', password: 'pw' });
      expect(r).toEqual({ ok: false, reason: 'RADIUS Access-Reject' });
      expect(client.counters.snapshot()).toEqual({
        sent: 1,
        malformed: 1,
        'unknown-identifier': 1,
        'unexpected-source': 1,
        'unexpected-code': 1,
        'bad-response-authenticator': 1,
        'missing-message-authenticator': 1,
        answered: 1,
      });
    } finally {
      stranger.close();
    }
  });

  it('a password RFC 2865 cannot carry (over 128 octets) is a refusal with a reason, not a crash', async () => {
    const server = await FakeServer.open('secret-long', () => {});
    const client = await clientFor([server.endpoint()]);
    const r = await new RadiusAuthenticator(client).verify({
      method: 'pap',
      user: 'u',
      password: 'x'.repeat(129),
    });
    expect(r).toEqual({ ok: false, reason: 'RADIUS: User-Password of 129 octets exceeds 128' });
    expect(client.outstanding).toBe(0);
    expect(server.received).toHaveLength(0);
  });

  it('fails over to the next server, re-encoding for its secret', async () => {
    const silent = await FakeServer.open('first-secret', () => {});
    let password = '';
    const second = await FakeServer.open('second-secret', (bytes, p, from, s) => {
      expect(hasValidRequestMessageAuthenticator(bytes, s.secret)).toBe(true);
      const hidden = findAttribute(p, AttributeType.UserPassword);
      password = hidden ? recoverUserPassword(hidden.value, s.secret, p.authenticator).toString() : '';
      s.send(s.reply(p, RadiusCode.AccessAccept), from);
    });
    const client = await clientFor([silent.endpoint(), second.endpoint()], 100, 1);
    const r = await new RadiusAuthenticator(client).verify({ method: 'pap', user: 'u', password: 'hunter2' });
    expect(r.ok).toBe(true);
    expect(password).toBe('hunter2');
    expect(silent.received).toHaveLength(2);
    // Same Identifier, but a new Request Authenticator for the new server.
    expect(second.received[0][1]).toBe(silent.received[0][1]);
    expect(second.received[0].subarray(4, 20)).not.toEqual(silent.received[0].subarray(4, 20));
    expect(client.counters.get('failover')).toBe(1);
  });

  it('bounds outstanding requests, gives each its own Identifier, and close() rejects the rest', async () => {
    const server = await FakeServer.open('secret-three', () => {});
    const client = await clientFor([server.endpoint()], 10_000, 0, 2);
    const a = client.exchange({ service: 'auth', code: RadiusCode.AccessRequest, attributes: () => [] });
    const b = client.exchange({ service: 'auth', code: RadiusCode.AccessRequest, attributes: () => [] });
    await expect(
      client.exchange({ service: 'auth', code: RadiusCode.AccessRequest, attributes: () => [] }),
    ).rejects.toBeInstanceOf(RadiusBusyError);
    expect(client.counters.get('busy')).toBe(1);
    expect(client.outstanding).toBe(2);
    await new Promise((r) => setTimeout(r, 50));
    expect(new Set(server.received.map((d) => d[1])).size).toBe(2);
    await client.close();
    await expect(a).rejects.toBeInstanceOf(RadiusBusyError);
    await expect(b).rejects.toBeInstanceOf(RadiusBusyError);
  });

  it('accounting: a valid Accounting-Request authenticator, and the Accounting-Response is verified', async () => {
    const seen: RadiusPacket[] = [];
    const server = await FakeServer.open('acct-secret', (bytes, p, from, s) => {
      expect(hasValidAccountingRequestAuthenticator(bytes, s.secret)).toBe(true);
      seen.push(p);
      s.send(s.reply(p, RadiusCode.AccountingResponse, { messageAuthenticator: false }), from);
    });
    const client = await clientFor([server.endpoint()]);
    const acct = new RadiusAccounting(client, { nasIpAddress: '127.0.0.1' });
    expect(await acct.sessionUp('k', { user: 'alice', framedAddress: '10.0.0.2', authentic: 'local' })).toBe(
      true,
    );
    const usage = { sessionSeconds: 1.9, inputOctets: 1, outputOctets: 2, inputPackets: 3, outputPackets: 4 };
    expect(await acct.interim('k', usage)).toBe(true);
    expect(await acct.sessionDown('k', usage, 'LCP echo timeout')).toBe(true);
    expect(seen.map((p) => findAttribute(p, AttributeType.AcctStatusType)?.value.readUInt32BE(0))).toEqual([
      1, 3, 2,
    ]);
    const ids = seen.map((p) =>
      readText(findAttribute(p, AttributeType.AcctSessionId) ?? { type: 0, value: Buffer.alloc(0) }),
    );
    expect(new Set(ids).size).toBe(1);
    // Lost-Carrier (2) for a dead link; Acct-Authentic Local (2).
    expect(findAttribute(seen[2], AttributeType.AcctTerminateCause)?.value.readUInt32BE(0)).toBe(2);
    expect(findAttribute(seen[0], AttributeType.AcctAuthentic)?.value.readUInt32BE(0)).toBe(2);
    expect(findAttribute(seen[2], AttributeType.AcctSessionTime)?.value.readUInt32BE(0)).toBe(1);
    expect(findAttribute(seen[0], AttributeType.NasIdentifier)).toBeUndefined();
  });

  it('maps the endpoint teardown reasons to Acct-Terminate-Cause (RFC 2866 section 5.10)', () => {
    expect(
      [
        'peer-terminated',
        'L2TP tunnel',
        'L2TP peer',
        'LCP echo timeout',
        'L2TP timeout',
        'idle timeout',
        'shutdown',
        'L2TP error',
        'L2TP local',
      ].map(terminateCauseFor),
    ).toEqual([1, 1, 1, 2, 2, 4, 6, 9, 10]);
  });
});

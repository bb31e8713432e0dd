import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { AuthRequest } from '../../src/aaa/authenticator.js';
import { LocalAuthenticator } from '../../src/aaa/local-authenticator.js';
import type { AuthAction } from '../../src/ppp/auth-action.js';
import { CHAP_CODE, decodeChapPacket, encodeChapPacket } from '../../src/ppp/chap.js';
import { ChapAuthenticator } from '../../src/ppp/chap-authenticator.js';
import { ChapPeer } from '../../src/ppp/chap-peer.js';
import type { Rng } from '../../src/util/clock.js';

interface Vector {
  userName: string;
  password: string;
  authenticatorChallenge: string;
  peerChallenge: string;
  passwordHash: string;
  ntResponse: string;
  authenticatorResponse: string;
}

const v = (
  JSON.parse(readFileSync(new URL('../../vectors/ppp-mschapv2-rfc2759.json', import.meta.url), 'utf8')) as {
    vectors: Vector[];
  }
).vectors[0];
const hex = (s: string) => Buffer.from(s, 'hex');

/** Hands out the given byte strings in order (the challenges RFC 2759 s9.2 fixes). */
function scripted(...values: Buffer[]): Rng {
  return (n) => {
    const next = values.shift();
    if (!next || next.length !== n) throw new Error(`unexpected rng(${n})`);
    return next;
  };
}

function sent(actions: AuthAction[]): Buffer {
  const s = actions.find((a) => a.type === 'send');
  if (s?.type !== 'send') throw new Error('nothing sent');
  return s.packet;
}

async function exchange(users: string, tamper?: (success: Buffer) => Buffer) {
  const server = new ChapAuthenticator({
    method: 'mschapv2',
    name: 'server',
    rng: scripted(hex(v.authenticatorChallenge), Buffer.of(0x2a)),
  });
  const peer = new ChapPeer({
    method: 'mschapv2',
    user: v.userName,
    password: v.password,
    rng: scripted(hex(v.peerChallenge)),
  });
  const aaa = LocalAuthenticator.fromText(users, 'users.yaml');
  const challenge = sent(server.start(0));
  const response = sent(peer.receive(challenge, 0));
  const verify = server.receive(response, 0);
  const request = verify[0].type === 'verify' ? verify[0].request : undefined;
  if (!request) throw new Error('no verify');
  const result = await aaa.verify(request);
  const verdict = server.verified(result, 0);
  const success = sent(verdict);
  const peerOutcome = peer.receive(tamper ? tamper(success) : success, 0);
  return { challenge, response, request, result, verdict, success, peerOutcome };
}

describe('MS-CHAPv2 end to end with RFC 2759 s9.2 values', () => {
  it('authenticator and peer produce the RFC NT-Response and authenticator response', async () => {
    const x = await exchange(`users:\n  ${v.userName}:\n    password: ${v.password}\n`);
    const c = decodeChapPacket(x.challenge);
    expect(c).toMatchObject({ code: CHAP_CODE.CHALLENGE, id: 0x2a, name: 'server' });
    expect('value' in c && c.value.toString('hex').toUpperCase()).toBe(v.authenticatorChallenge);

    // Response packet, byte-exact: Value-Size 49, Peer-Challenge, 8 zero octets, NT-Response, Flags 0, Name.
    const golden = Buffer.concat([
      hex('022a003a31'),
      hex(v.peerChallenge),
      Buffer.alloc(8),
      hex(v.ntResponse),
      Buffer.of(0),
      Buffer.from(v.userName),
    ]);
    expect(x.response.toString('hex')).toBe(golden.toString('hex'));

    expect(x.request).toMatchObject({ method: 'mschapv2', user: 'User' } satisfies Partial<AuthRequest>);
    expect(x.result).toMatchObject({ ok: true, authenticatorResponse: v.authenticatorResponse });
    expect(x.success.toString('hex')).toBe(
      encodeChapPacket({
        code: CHAP_CODE.SUCCESS,
        id: 0x2a,
        message: `${v.authenticatorResponse} M=Access granted`,
      }).toString('hex'),
    );
    expect(x.verdict.at(-1)).toMatchObject({ type: 'auth-success', user: 'User' });
    expect(x.peerOutcome).toEqual([{ type: 'auth-success', user: 'User', attributes: {} }]);
  });

  it('works from the stored NT hash alone (no cleartext on the server)', async () => {
    const x = await exchange(`users:\n  ${v.userName}:\n    nt-hash: ${v.passwordHash}\n`);
    expect(x.result).toMatchObject({ ok: true, authenticatorResponse: v.authenticatorResponse });
  });

  it('the peer rejects a Success whose authenticator response is wrong (mutual authentication)', async () => {
    const x = await exchange(`users:\n  ${v.userName}:\n    password: ${v.password}\n`, (s) => {
      const t = Buffer.from(s);
      t[6] = t[6] === 0x30 ? 0x31 : 0x30; // first hex digit after "S="
      return t;
    });
    expect(x.peerOutcome).toMatchObject([{ type: 'auth-failure', method: 'mschapv2' }]);
  });

  it('a wrong password yields E=691 R=0 C=<the challenge> V=3', async () => {
    const x = await exchange(`users:\n  ${v.userName}:\n    password: notClientPass\n`);
    const f = decodeChapPacket(x.success);
    expect(f.code).toBe(CHAP_CODE.FAILURE);
    expect('message' in f && f.message).toBe(
      `E=691 R=0 C=${v.authenticatorChallenge} V=3 M=Authentication failure`,
    );
    expect(x.peerOutcome).toMatchObject([
      { type: 'auth-failure', reason: expect.stringMatching(/^E=691 R=0/) },
    ]);
  });
});

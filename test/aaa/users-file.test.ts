import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalAuthenticator, verifyAgainst } from '../../src/aaa/local-authenticator.js';
import { parseChapSecrets, parseUsersYaml, UsersFileError } from '../../src/aaa/users-file.js';
import { hash } from '../../src/crypto/hash.js';
import { generateNtResponse, ntPasswordHash } from '../../src/crypto/mschapv2.js';

const dir = mkdtempSync(join(tmpdir(), 'l2s-users-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function error(fn: () => unknown): UsersFileError {
  try {
    fn();
  } catch (e) {
    if (e instanceof UsersFileError) return e;
    throw e;
  }
  throw new Error('no error');
}

describe('users file: YAML', () => {
  it('reads password, nt-hash and address', () => {
    const users = parseUsersYaml(
      'users:\n  alice:\n    password: pw\n    address: 10.1.2.3\n  bob:\n    nt-hash: 8846F7EAEE8FB117AD06BDD830B7586C\n',
    );
    expect(users.get('alice')).toEqual({ name: 'alice', password: 'pw', staticAddress: '10.1.2.3' });
    expect(users.get('bob')?.ntHash?.equals(ntPasswordHash('password'))).toBe(true);
  });

  it('errors name the file, line and key', () => {
    const e = error(() =>
      parseUsersYaml(
        'users:\n  alice:\n    password: pw\n  bob:\n    password: x\n    address: 10.1.2\n',
        'u.yaml',
      ),
    );
    expect(e.message).toBe('u.yaml:6: users.bob.address: must be an IPv4 address');
    expect(error(() => parseUsersYaml('users:\n  carol:\n    address: 10.0.0.1\n', 'u.yaml')).message).toBe(
      'u.yaml:3: users.carol: needs exactly one of password or nt-hash',
    );
    expect(error(() => parseUsersYaml('users:\n  d:\n    nt-hash: abc\n', 'u.yaml')).message).toMatch(
      /^u\.yaml:3: users\.d\.nt-hash: must be 32 hex digits/,
    );
    expect(error(() => parseUsersYaml('users:\n  e:\n    pasword: x\n', 'u.yaml')).message).toMatch(
      /^u\.yaml:3: users\.e/,
    );
    expect(
      error(() => parseUsersYaml('users:\n  a:\n    password: x\n  a:\n    password: y\n', 'u.yaml')).line,
    ).toBe(4);
  });
});

describe("users file: pppd's chap-secrets", () => {
  it('reads client/server/secret/address, quotes and comments', () => {
    const users = parseChapSecrets(
      '# client server secret IP\nalice * wonderland *\n"bob smith" l2tpsec "pass word" 10.0.0.7 # fixed\n\n',
    );
    expect(users.get('alice')).toEqual({ name: 'alice', password: 'wonderland' });
    expect(users.get('bob smith')).toEqual({
      name: 'bob smith',
      password: 'pass word',
      staticAddress: '10.0.0.7',
    });
  });
  it('errors name the line', () => {
    expect(error(() => parseChapSecrets('alice * pw\nbob *\n', 'chap-secrets')).message).toMatch(
      /^chap-secrets:2: bob:/,
    );
    expect(error(() => parseChapSecrets('alice * pw 10.0.0\n', 'chap-secrets')).message).toMatch(
      /^chap-secrets:1: alice:/,
    );
  });
});

describe('LocalAuthenticator', () => {
  const users = parseUsersYaml(
    'users:\n  alice:\n    password: wonderland\n  bob:\n    nt-hash: 8846F7EAEE8FB117AD06BDD830B7586C\n',
  );
  const ch = Buffer.alloc(16, 3);
  const pc = Buffer.alloc(16, 4);

  it('PAP: cleartext and NT-hash users', () => {
    expect(verifyAgainst(users, { method: 'pap', user: 'alice', password: 'wonderland' }).ok).toBe(true);
    expect(verifyAgainst(users, { method: 'pap', user: 'alice', password: 'wonder' }).ok).toBe(false);
    expect(verifyAgainst(users, { method: 'pap', user: 'bob', password: 'password' }).ok).toBe(true);
    expect(verifyAgainst(users, { method: 'pap', user: 'eve', password: 'x' })).toMatchObject({
      ok: false,
      reason: /unknown/,
    });
  });

  it('CHAP-MD5 needs cleartext', () => {
    const response = hash('md5', Buffer.of(9), Buffer.from('wonderland'), ch);
    expect(
      verifyAgainst(users, { method: 'chap-md5', user: 'alice', id: 9, challenge: ch, response }).ok,
    ).toBe(true);
    expect(
      verifyAgainst(users, { method: 'chap-md5', user: 'alice', id: 8, challenge: ch, response }).ok,
    ).toBe(false);
    expect(
      verifyAgainst(users, { method: 'chap-md5', user: 'bob', id: 9, challenge: ch, response }),
    ).toMatchObject({
      ok: false,
      reason: /NT hash/,
    });
  });

  it('MS-CHAPv2: strips DOMAIN\\ for lookup and hashing', () => {
    const ntResponse = generateNtResponse(ch, pc, 'bob', ntPasswordHash('password'));
    const r = verifyAgainst(users, {
      method: 'mschapv2',
      user: 'CORP\\bob',
      authenticatorChallenge: ch,
      peerChallenge: pc,
      ntResponse,
    });
    expect(r).toMatchObject({
      ok: true,
      user: 'bob',
      authenticatorResponse: expect.stringMatching(/^S=[0-9A-F]{40}$/),
    });
  });

  it('reload swaps users; a broken file keeps the old table', async () => {
    const path = join(dir, 'users.yaml');
    writeFileSync(path, 'users:\n  alice:\n    password: one\n');
    const auth = await LocalAuthenticator.open(path);
    expect((await auth.verify({ method: 'pap', user: 'alice', password: 'one' })).ok).toBe(true);
    writeFileSync(path, 'users:\n  alice:\n    password: two\n  zed:\n    password: z\n');
    expect(await auth.reload()).toBe(2);
    expect((await auth.verify({ method: 'pap', user: 'alice', password: 'one' })).ok).toBe(false);
    expect((await auth.verify({ method: 'pap', user: 'alice', password: 'two' })).ok).toBe(true);
    writeFileSync(path, 'users:\n  alice:\n    address: nope\n');
    await expect(auth.reload()).rejects.toThrow(/users\.yaml:3/);
    expect((await auth.verify({ method: 'pap', user: 'alice', password: 'two' })).ok).toBe(true);
    expect(auth.size).toBe(2);
  });

  it('a chap-secrets file is recognised by its name', async () => {
    const path = join(dir, 'chap-secrets');
    writeFileSync(path, 'alice * wonderland 10.9.9.9\n');
    const auth = await LocalAuthenticator.open(path);
    expect(await auth.verify({ method: 'pap', user: 'alice', password: 'wonderland' })).toMatchObject({
      ok: true,
      attributes: { staticAddress: '10.9.9.9' },
    });
  });
});

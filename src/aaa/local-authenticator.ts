/**
 * The embedded default authenticator: users from the local users file. `reload()` (the server calls it on
 * SIGHUP) swaps the table atomically; sessions already up keep running, since they hold only the result of
 * their own verification. A file that fails to parse leaves the previous table in force.
 */
import { timingSafeEqual } from 'node:crypto';
import { hash } from '../crypto/hash.js';
import { generateAuthenticatorResponse, generateNtResponse, ntPasswordHash } from '../crypto/mschapv2.js';
import {
  type Authenticator,
  type AuthRequest,
  type AuthResult,
  challengeUserName,
  type UserAttributes,
} from './authenticator.js';
import { loadUsersFile, parseUsersFile, type UserRecord, type UsersFileFormat } from './users-file.js';

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

function attributesOf(u: UserRecord): UserAttributes {
  return u.staticAddress !== undefined ? { staticAddress: u.staticAddress } : {};
}

/** Checks `request` against `users`; synchronous, so tests and other backends can reuse it. */
export function verifyAgainst(users: ReadonlyMap<string, UserRecord>, request: AuthRequest): AuthResult {
  const record = users.get(request.user) ?? users.get(challengeUserName(request.user));
  if (!record) return { ok: false, reason: `unknown user "${request.user}"` };
  const granted: AuthResult = { ok: true, user: record.name, attributes: attributesOf(record) };
  const denied: AuthResult = { ok: false, reason: `wrong password for "${record.name}"` };
  switch (request.method) {
    case 'pap': {
      if (record.password !== undefined) {
        return sameBytes(Buffer.from(request.password, 'utf8'), Buffer.from(record.password, 'utf8'))
          ? granted
          : denied;
      }
      return record.ntHash && sameBytes(ntPasswordHash(request.password), record.ntHash) ? granted : denied;
    }
    case 'chap-md5': {
      if (record.password === undefined) {
        return { ok: false, reason: `"${record.name}" has only an NT hash; CHAP-MD5 needs the password` };
      }
      const expected = hash(
        'md5',
        Buffer.of(request.id),
        Buffer.from(record.password, 'utf8'),
        request.challenge,
      );
      return sameBytes(expected, request.response) ? granted : denied;
    }
    case 'mschapv2': {
      const passwordHash = record.ntHash ?? ntPasswordHash(record.password ?? '');
      const name = challengeUserName(request.user);
      const { authenticatorChallenge, peerChallenge, ntResponse } = request;
      const expected = generateNtResponse(authenticatorChallenge, peerChallenge, name, passwordHash);
      if (!sameBytes(expected, ntResponse)) return denied;
      return {
        ...granted,
        authenticatorResponse: generateAuthenticatorResponse(
          passwordHash,
          ntResponse,
          peerChallenge,
          authenticatorChallenge,
          name,
        ),
      };
    }
  }
}

export class LocalAuthenticator implements Authenticator {
  private users: ReadonlyMap<string, UserRecord>;

  private constructor(
    users: ReadonlyMap<string, UserRecord>,
    private readonly path: string | undefined,
    private readonly format: UsersFileFormat | undefined,
  ) {
    this.users = users;
  }

  /** Reads the users file at `path` (YAML by extension, otherwise chap-secrets unless `format` says). */
  static async open(path: string, format?: UsersFileFormat): Promise<LocalAuthenticator> {
    return new LocalAuthenticator(await loadUsersFile(path, format), path, format);
  }

  static fromText(text: string, source: string, format?: UsersFileFormat): LocalAuthenticator {
    return new LocalAuthenticator(parseUsersFile(text, source, format), undefined, format);
  }

  get size(): number {
    return this.users.size;
  }

  /** Re-reads the file; on any error throws and keeps the current users. Returns the new user count. */
  async reload(): Promise<number> {
    if (this.path === undefined) return this.users.size;
    this.users = await loadUsersFile(this.path, this.format);
    return this.users.size;
  }

  async verify(request: AuthRequest): Promise<AuthResult> {
    return verifyAgainst(this.users, request);
  }
}

/**
 * The local users file, in one of two formats:
 *
 * - YAML (`.yaml`/`.yml`): `users:` mapping each name to `password:` or `nt-hash:` (32 hex digits, the
 *   RFC 2759 section 8.3 NtPasswordHash, so MS-CHAPv2 works without cleartext) and an optional `address:`.
 * - pppd's chap-secrets: one `client server secret [address …]` per line, `#` comments, double quotes
 *   around fields with blanks; `*` or `-` as address means none.
 *
 * Errors name the file, line and key.
 */
import { readFile } from 'node:fs/promises';
import { isIPv4 } from 'node:net';
import { isMap, isNode, LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';

export interface UserRecord {
  readonly name: string;
  readonly password?: string;
  /** NtPasswordHash, 16 bytes. */
  readonly ntHash?: Buffer;
  readonly staticAddress?: string;
}

export type UsersFileFormat = 'yaml' | 'chap-secrets';

export class UsersFileError extends Error {
  constructor(
    readonly source: string,
    readonly line: number,
    readonly key: string | undefined,
    detail: string,
  ) {
    super(`${source}:${line}: ${key ? `${key}: ` : ''}${detail}`);
    this.name = 'UsersFileError';
  }
}

const userSchema = z
  .object({
    password: z.string().min(1).optional(),
    'nt-hash': z
      .string()
      .regex(/^[0-9a-fA-F]{32}$/, 'must be 32 hex digits (an NT password hash)')
      .optional(),
    address: z
      .string()
      .refine((a) => isIPv4(a), 'must be an IPv4 address')
      .optional(),
  })
  .strict()
  .refine((u) => (u.password === undefined) !== (u['nt-hash'] === undefined), {
    message: 'needs exactly one of password or nt-hash',
  });

const fileSchema = z.object({ users: z.record(z.string().min(1), userSchema) }).strict();

export function parseUsersYaml(text: string, source = 'users.yaml'): Map<string, UserRecord> {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true });
  const lineAt = (offset: number | undefined) => (offset === undefined ? 1 : lines.linePos(offset).line);
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    throw new UsersFileError(source, lineAt(e.pos[0]), undefined, e.message.split('\n')[0]);
  }
  const parsed = fileSchema.safeParse(doc.toJS() ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue.path.map(String);
    // The deepest node that exists on the issue's path gives the line.
    let line = 1;
    for (let depth = path.length; depth >= 0; depth--) {
      const node = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth), true);
      if (isNode(node) && node.range) {
        line = lineAt(node.range[0]);
        break;
      }
    }
    const key = path.length > 0 ? path.join('.') : undefined;
    throw new UsersFileError(source, line, key, issue.message);
  }
  if (!isMap(doc.contents)) throw new UsersFileError(source, 1, undefined, 'expected a mapping');
  const out = new Map<string, UserRecord>();
  for (const [name, u] of Object.entries(parsed.data.users)) {
    out.set(name, {
      name,
      ...(u.password !== undefined ? { password: u.password } : {}),
      ...(u['nt-hash'] !== undefined ? { ntHash: Buffer.from(u['nt-hash'], 'hex') } : {}),
      ...(u.address !== undefined ? { staticAddress: u.address } : {}),
    });
  }
  return out;
}

/** Splits a chap-secrets line into fields: blanks separate, double quotes group, `#` starts a comment. */
function tokenize(line: string): string[] | undefined {
  const out: string[] = [];
  let i = 0;
  while (i < line.length) {
    const c = line[i];
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    if (c === '#') break;
    if (c === '"') {
      const end = line.indexOf('"', i + 1);
      if (end < 0) return undefined;
      out.push(line.slice(i + 1, end));
      i = end + 1;
      continue;
    }
    let j = i;
    while (j < line.length && line[j] !== ' ' && line[j] !== '\t' && line[j] !== '#') j++;
    out.push(line.slice(i, j));
    i = j;
  }
  return out;
}

export function parseChapSecrets(text: string, source = 'chap-secrets'): Map<string, UserRecord> {
  const out = new Map<string, UserRecord>();
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const fields = tokenize(raw);
    if (fields === undefined) throw new UsersFileError(source, line, undefined, 'unterminated quote');
    if (fields.length === 0) return;
    if (fields.length < 3) {
      throw new UsersFileError(source, line, fields[0], 'expected "client server secret [address ...]"');
    }
    const [name, , password, ...addresses] = fields;
    if (out.has(name)) throw new UsersFileError(source, line, name, 'user listed twice');
    const address = addresses.find((a) => a !== '*' && a !== '-');
    if (address !== undefined && !isIPv4(address)) {
      throw new UsersFileError(source, line, name, `address "${address}" is not an IPv4 address`);
    }
    out.set(name, { name, password, ...(address !== undefined ? { staticAddress: address } : {}) });
  });
  return out;
}

export function detectUsersFileFormat(path: string): UsersFileFormat {
  return /\.ya?ml$/i.test(path) ? 'yaml' : 'chap-secrets';
}

export function parseUsersFile(
  text: string,
  source: string,
  format?: UsersFileFormat,
): Map<string, UserRecord> {
  return (format ?? detectUsersFileFormat(source)) === 'yaml'
    ? parseUsersYaml(text, source)
    : parseChapSecrets(text, source);
}

export async function loadUsersFile(
  path: string,
  format?: UsersFileFormat,
): Promise<Map<string, UserRecord>> {
  return parseUsersFile(await readFile(path, 'utf8'), path, format);
}

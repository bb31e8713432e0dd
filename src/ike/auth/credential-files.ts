/**
 * Reading the RSA signature credentials from PEM files at start-up (server configuration keys
 * `ike.certificate`, `ike.privateKey`, `ike.caCertificates`): every problem is reported against the key
 * that named the file, so the operator knows which line to fix.
 */
import { readFileSync } from 'node:fs';
import { AuthMethod } from '../codec/constants.js';
import { type CertCredentials, CredentialError, certCredentialsFromPem } from './credentials.js';

export interface CredentialFiles {
  readonly certificate: string;
  readonly privateKey: string;
  readonly caCertificates: string | readonly string[];
}

/** A credential problem and the configuration key it belongs to. */
export interface CredentialFileIssue {
  readonly key: 'certificate' | 'privateKey' | 'caCertificates';
  readonly message: string;
}

function read(
  key: CredentialFileIssue['key'],
  path: string,
  issues: CredentialFileIssue[],
): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    issues.push({
      key,
      message: `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    });
    return undefined;
  }
}

/** Loads and checks the credentials; on any problem returns the issues instead. */
export function loadCredentialFiles(
  files: CredentialFiles,
):
  | { credentials: CertCredentials; issues?: undefined }
  | { credentials?: undefined; issues: CredentialFileIssue[] } {
  const issues: CredentialFileIssue[] = [];
  const certificate = read('certificate', files.certificate, issues);
  const privateKey = read('privateKey', files.privateKey, issues);
  const caPaths = typeof files.caCertificates === 'string' ? [files.caCertificates] : files.caCertificates;
  const cas = caPaths.map((p) => read('caCertificates', p, issues));
  if (certificate === undefined || privateKey === undefined || cas.some((c) => c === undefined))
    return { issues };
  try {
    const credentials = certCredentialsFromPem({
      certificate,
      privateKey,
      caCertificates: cas.filter((c): c is string => c !== undefined),
    });
    return { credentials };
  } catch (err) {
    if (!(err instanceof CredentialError)) throw err;
    // The message starts with the part it is about ("privateKey: …", "caCertificates: …").
    const key =
      (['privateKey', 'caCertificates'] as const).find((k) => err.message.startsWith(k)) ?? 'certificate';
    return { issues: [{ key, message: err.message }] };
  }
}

export interface IkeAuthSettings {
  readonly certificate?: string | undefined;
  readonly privateKey?: string | undefined;
  readonly caCertificates?: string | readonly string[] | undefined;
  readonly authMethods?: readonly ('psk' | 'rsa-sig')[] | undefined;
}

export interface IkeAuthIssue {
  readonly key: 'certificate' | 'privateKey' | 'caCertificates' | 'authMethods';
  readonly message: string;
}

/**
 * The phase-1 authentication a server configuration asks for: credentials loaded from the files, and the
 * accepted methods (RFC 2409 Appendix A numbers) — default PSK, plus RSA signatures when a certificate
 * is configured. Issues name the configuration key at fault.
 */
export function resolveIkeAuth(s: IkeAuthSettings): {
  credentials: CertCredentials | undefined;
  authMethods: number[];
  issues: IkeAuthIssue[];
} {
  const issues: IkeAuthIssue[] = [];
  let credentials: CertCredentials | undefined;
  const any = s.certificate !== undefined || s.privateKey !== undefined || s.caCertificates !== undefined;
  if (any) {
    if (s.certificate === undefined)
      issues.push({ key: 'certificate', message: 'required with privateKey/caCertificates' });
    if (s.privateKey === undefined)
      issues.push({ key: 'privateKey', message: 'required with a certificate' });
    if (s.caCertificates === undefined)
      issues.push({
        key: 'caCertificates',
        message: 'required with a certificate (the CAs clients are issued by)',
      });
    if (s.certificate !== undefined && s.privateKey !== undefined && s.caCertificates !== undefined) {
      const r = loadCredentialFiles({
        certificate: s.certificate,
        privateKey: s.privateKey,
        caCertificates: s.caCertificates,
      });
      if (r.issues) issues.push(...r.issues);
      else credentials = r.credentials;
    }
  }
  const names = s.authMethods ?? (any ? ['psk', 'rsa-sig'] : ['psk']);
  if (names.includes('rsa-sig') && !any) {
    issues.push({
      key: 'authMethods',
      message: "'rsa-sig' needs ike.certificate, ike.privateKey and ike.caCertificates",
    });
  }
  const authMethods = names.map((n) => (n === 'psk' ? AuthMethod.PreSharedKey : AuthMethod.RsaSignature));
  return { credentials, authMethods: [...new Set(authMethods)], issues };
}

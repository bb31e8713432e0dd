/**
 * Test PKIs generated at test time with the openssl CLI into a temporary directory: CAs, an intermediate,
 * and RSA end-entity certificates with a chosen subject and subjectAltName, all PEM. Nothing is checked in.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Issued {
  /** PEM paths. */
  readonly certPath: string;
  readonly keyPath: string;
  /** PEM texts. */
  readonly cert: string;
  readonly key: string;
}

export interface CertOptions {
  /** e.g. '/C=XX/O=l2tpsec test/CN=client' */
  readonly subject: string;
  /** subjectAltName value, e.g. 'IP:198.18.7.2,DNS:client.test'. */
  readonly san?: string;
  readonly days?: number;
  readonly ca?: boolean;
  readonly keyType?: 'rsa' | 'ec';
  /** RSA modulus size (default 2048). */
  readonly bits?: number;
}

export class TestPki {
  readonly dir = mkdtempSync(join(tmpdir(), 'l2s-pki-'));
  private serial = 1;

  private openssl(args: readonly string[]): void {
    execFileSync('openssl', args, { cwd: this.dir, stdio: ['ignore', 'ignore', 'pipe'] });
  }

  private key(name: string, type: 'rsa' | 'ec', bits = 2048): string {
    const path = join(this.dir, `${name}.key`);
    if (type === 'ec')
      this.openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', path]);
    else this.openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', `rsa_keygen_bits:${bits}`, '-out', path]);
    return path;
  }

  private issued(name: string): Issued {
    const certPath = join(this.dir, `${name}.pem`);
    const keyPath = join(this.dir, `${name}.key`);
    return { certPath, keyPath, cert: readFileSync(certPath, 'utf8'), key: readFileSync(keyPath, 'utf8') };
  }

  /** A self-signed root CA. */
  root(name: string, subject: string, days = 3650): Issued {
    const key = this.key(name, 'rsa');
    this.openssl([
      'req',
      '-x509',
      '-new',
      '-key',
      key,
      '-subj',
      subject,
      '-days',
      String(days),
      '-sha256',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
      '-out',
      join(this.dir, `${name}.pem`),
    ]);
    return this.issued(name);
  }

  /** A certificate for `name` signed by `issuer`. */
  issue(name: string, issuer: Issued, opts: CertOptions): Issued {
    const key = this.key(name, opts.keyType ?? 'rsa', opts.bits);
    const csr = join(this.dir, `${name}.csr`);
    this.openssl(['req', '-new', '-key', key, '-subj', opts.subject, '-out', csr]);
    const ext = join(this.dir, `${name}.ext`);
    const lines = opts.ca
      ? ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign']
      : ['basicConstraints=CA:FALSE', 'keyUsage=digitalSignature,keyEncipherment'];
    if (opts.san) lines.push(`subjectAltName=${opts.san}`);
    writeFileSync(ext, `${lines.join('\n')}\n`);
    this.openssl([
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      issuer.certPath,
      '-CAkey',
      issuer.keyPath,
      '-set_serial',
      String(this.serial++),
      '-days',
      String(opts.days ?? 365),
      '-sha256',
      '-extfile',
      ext,
      '-out',
      join(this.dir, `${name}.pem`),
    ]);
    return this.issued(name);
  }

  /** Writes `text` to a file in the PKI directory; returns its path. */
  write(name: string, text: string): string {
    const path = join(this.dir, name);
    writeFileSync(path, text);
    return path;
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Whether the openssl CLI is there (scripts/test-env.sh installs it with Debian's base system). */
export function opensslUnavailable(): string | undefined {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'openssl CLI missing';
  }
}

/**
 * swanctl.conf for IKEv1 connections authenticated with X.509 RSA signatures (`auth = pubkey`), shaped like
 * an L2TP/IPsec client's (transport mode, udp/1701 both ways), and the credential files swanctl loads from
 * its x509/, x509ca/ and private/ directories.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Issued } from './certs.js';
import type { Charon } from './charon.js';

export interface CertConnection {
  readonly name: string;
  readonly localAddr: string;
  readonly remoteAddr: string;
  readonly ike: string;
  readonly esp: string;
  /** Our certificate and key (copied into x509/ and private/). */
  readonly identity: Issued;
  /** The ID we claim (swanctl `local.id`); default the certificate's subject DN. */
  readonly localId?: string;
  /** The ID the peer must show; default any the CA vouches for. */
  readonly remoteId?: string;
}

export function certChildName(c: CertConnection): string {
  return `${c.name}-l2tp`;
}

export function swanctlCertConf(conns: readonly CertConnection[]): string {
  const out = ['connections {'];
  for (const c of conns) {
    out.push(
      `  ${c.name} {`,
      '    version = 1',
      `    local_addrs = ${c.localAddr}`,
      `    remote_addrs = ${c.remoteAddr}`,
      `    proposals = ${c.ike}`,
      '    encap = no',
      '    dpd_delay = 0',
      '    local {',
      '      auth = pubkey',
      `      certs = ${basename(c.identity.certPath)}`,
      ...(c.localId ? [`      id = "${c.localId}"`] : []),
      '    }',
      '    remote {',
      '      auth = pubkey',
      ...(c.remoteId ? [`      id = "${c.remoteId}"`] : []),
      '    }',
      '    children {',
      `      ${certChildName(c)} {`,
      '        mode = transport',
      `        esp_proposals = ${c.esp}`,
      '        local_ts = dynamic[udp/1701]',
      '        remote_ts = dynamic[udp/1701]',
      '      }',
      '    }',
      '  }',
    );
  }
  out.push('}', '');
  return out.join('\n');
}

/** Installs the CA certificates and each connection's certificate and key into charon's swanctl dir. */
export function installCertFiles(
  charon: Charon,
  cas: readonly Issued[],
  conns: readonly CertConnection[],
): void {
  const dir = join(charon.dir, 'swanctl');
  for (const sub of ['x509ca', 'x509', 'private']) mkdirSync(join(dir, sub), { recursive: true });
  for (const ca of cas) copyFileSync(ca.certPath, join(dir, 'x509ca', basename(ca.certPath)));
  for (const c of conns) {
    copyFileSync(c.identity.certPath, join(dir, 'x509', basename(c.identity.certPath)));
    copyFileSync(c.identity.keyPath, join(dir, 'private', basename(c.identity.keyPath)));
  }
}

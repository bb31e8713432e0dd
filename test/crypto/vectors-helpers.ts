/** Loads a JSON vector file from vectors/ and decodes hex. */
import { readFileSync } from 'node:fs';
import { type BackendName, backend, useBackend } from '../../src/crypto/backend.js';

export function loadVectors<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../../vectors/${name}`, import.meta.url), 'utf8')) as T;
}

/** One RFC 5903 section 8 case: both private keys, both public points, the shared x coordinate (hex). */
export interface EcpVector {
  readonly source: string;
  readonly group: 19 | 20 | 21;
  readonly i: string;
  readonly gix: string;
  readonly giy: string;
  readonly r: string;
  readonly grx: string;
  readonly gry: string;
  readonly girx: string;
}

/** vectors/crypto-ecp-rfc5903.json: the ECP groups' known answers. */
export function loadEcpVectors(): readonly EcpVector[] {
  return loadVectors<{ cases: EcpVector[] }>('crypto-ecp-rfc5903.json').cases;
}

export const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

export const BACKENDS: readonly BackendName[] = ['node', 'noble'];

/** Runs `fn` with the module-level functions switched to `name`, restoring node afterwards. */
export function withBackend<T>(name: BackendName, fn: () => T): T {
  useBackend(name);
  try {
    return fn();
  } finally {
    useBackend('node');
  }
}

export { backend };

/** Loads a JSON vector file from vectors/ and decodes hex. */
import { readFileSync } from 'node:fs';
import { type BackendName, backend, useBackend } from '../../src/crypto/backend.js';

export function loadVectors<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../../vectors/${name}`, import.meta.url), 'utf8')) as T;
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

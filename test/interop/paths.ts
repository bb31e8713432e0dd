/**
 * Where the interop suite finds the repository and keeps its outputs. The suite runs both under vitest
 * (from `test/interop/`) and compiled by `npm run interop` (from `.cache/interop/js/test/interop/`), so
 * the repository root is found by walking up to l2tpsec's own package.json rather than by a fixed depth.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

let cachedRoot: string | undefined;

export function repoRoot(): string {
  if (cachedRoot !== undefined) return cachedRoot;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'l2tpsec') {
      cachedRoot = dir;
      return dir;
    }
    const up = resolve(dir, '..');
    if (up === dir) throw new Error('interop: cannot find the l2tpsec repository root');
    dir = up;
  }
}

/** Per-case artifact directory: `test-results/interop/<case>/`. */
export function artifactDir(caseName: string): string {
  return join(repoRoot(), 'test-results', 'interop', caseName);
}

#!/usr/bin/env node
// Builds the native edge (binding.gyp → build/Release/l2tpsec_net.node) at `npm ci` / `npm install`.
// node-gyp would otherwise download Node's headers from nodejs.org; this machine has no internet, but the
// headers ship with Node itself (<prefix>/include/node), so point node-gyp at them with --nodedir.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const prefix = resolve(dirname(process.execPath), '..');
const args = ['rebuild'];
if (existsSync(join(prefix, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${prefix}`);

// npm tells lifecycle scripts where its bundled node-gyp is; otherwise look next to npm itself.
const candidates = [
  process.env.npm_config_node_gyp,
  join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  join(root, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
].filter((p) => p && existsSync(p));
if (candidates.length === 0) {
  process.stderr.write('native/build: node-gyp not found (it ships with npm)\n');
  process.exit(1);
}
const r = spawnSync(process.execPath, [candidates[0], ...args], { cwd: root, stdio: 'inherit' });
if (r.status !== 0) {
  process.stderr.write(
    'native/build: building the native addon failed; TUN and raw ESP need it (g++, make and python3)\n',
  );
  process.exit(r.status ?? 1);
}

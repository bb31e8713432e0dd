#!/usr/bin/env node
// Entry point for `npx l2tpsec`: the compiled CLI lives in dist/ (built by `npm ci` through `prepare`).
import { main } from '../dist/src/cli/main.js';

main(process.argv).catch((err) => {
  process.stderr.write(`l2tpsec: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

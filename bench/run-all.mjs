#!/usr/bin/env node
/**
 * Runs every benchmark one after another (never together: they would share
 * the two cores and slow each other down): the folder scan against ripgrep (one
 * large tree, then each content shape alone),
 * `scan --staged`, `scan --git`, the key store's authenticate and memory,
 * the GitHub Secret Scanning partner endpoint, owner notifications (alert → mail and webhook),
 * and the alert review's reads (list, filters, counts, export). The pipeline and the
 * 1-node-against-cluster runs take minutes each: `npm run bench:pipeline`, `npm run bench:scaling`.
 *
 *   npm run bench
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const benches = [
  'scan-tree.mjs',
  'scan-shapes.mjs',
  'staged.mjs',
  'git-history.mjs',
  'keystore.mjs',
  'partner.mjs',
  'notify.mjs',
  'alerts.mjs',
];
let failed = 0;
for (const name of benches) {
  const path = join(HERE, name);
  if (!existsSync(path)) {
    console.log(`\n== ${name}: not there, skipped`);
    continue;
  }
  console.log(`\n== ${name}`);
  const run = spawnSync(process.execPath, [path], { stdio: 'inherit' });
  if (run.status !== 0) {
    failed++;
    console.log(`== ${name} failed (exit ${run.status ?? run.signal})`);
  }
}
process.exitCode = failed ? 1 : 0;

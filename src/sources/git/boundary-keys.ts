import type { CompiledRule } from '../../rules/types.js';
import { scanBuffer } from '../../scanner/scan-buffer.js';
import { readBlobs } from './cat-file.js';
import { sightingKey } from './first-sightings.js';

/**
 * The secrets each path already held just before a range (the versions its
 * commits changed), so that `--git main..feature` does not pin a key that main
 * already had on the feature commit that merely edited the file around it.
 */
export async function keysAtBoundary(
  root: string,
  boundary: ReadonlyMap<string, ReadonlySet<string>>,
  rules: readonly CompiledRule[],
  maxSize: number,
): Promise<Set<string>> {
  const known = new Set<string>();
  await readBlobs(
    root,
    [...boundary.keys()],
    (oid, content) => {
      for (const f of scanBuffer(content, rules))
        for (const path of boundary.get(oid) ?? []) known.add(sightingKey(f.ruleId, f.secretSha256, path));
    },
    () => {}, // unreadable context only means fewer keys recognised as old
    maxSize,
    { transient: true },
  );
  return known;
}

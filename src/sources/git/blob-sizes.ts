import { runGit } from './run.js';

/**
 * Sizes of blobs, from `git cat-file --batch-check` (object headers only, no
 * content inflated): lets the history scan skip over-size blobs before reading
 * them, show a total, and split the work evenly. A blob missing from the
 * repository (shallow or partial clone) maps to undefined.
 */
export async function blobSizes(root: string, oids: readonly string[]): Promise<Map<string, number | undefined>> {
  const sizes = new Map<string, number | undefined>();
  if (oids.length === 0) return sizes;
  const output = (await runGit(['cat-file', '--batch-check', '--buffer'], root, oids.join('\n') + '\n')).toString('latin1');
  for (const line of output.split('\n')) {
    if (!line) continue;
    const [oid, type, size] = line.split(' ');
    sizes.set(oid!, type === 'blob' ? Number(size) : undefined);
  }
  return sizes;
}

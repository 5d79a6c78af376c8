import type { Located } from '../../scanner/finding.js';
import { placeFindings } from '../locate.js';
import type { SourceFinding } from '../types.js';
import type { Introduction } from './blob-index.js';

interface Sighting {
  found: Located;
  path: string;
  commit: number;
}

/**
 * Keeps one finding per (rule, secret, path): the one from the earliest commit,
 * so a key kept through later versions of a file is reported where it came in,
 * once. A sighting on a line marked `neevscan:allow` gives way to any sighting
 * without the marker: an allowed key that later lost its marker is reported
 * (where it lost it). Ties go to the first place in the file, so the answer
 * does not depend on the order blobs were read in.
 */
export class FirstSightings {
  private readonly best = new Map<string, Sighting>();

  add(found: readonly Located[], introductions: readonly Introduction[]): void {
    for (const f of found) {
      for (const { path, commit } of introductions) {
        const key = sightingKey(f.ruleId, f.secretSha256, path);
        const seen = this.best.get(key);
        if (seen === undefined || earlier({ found: f, path, commit }, seen)) this.best.set(key, { found: f, path, commit });
      }
    }
  }

  /** The findings, named by file and commit SHA (`commits[index]`), less those whose sightingKey is in `old`. */
  findings(commits: readonly string[], old: ReadonlySet<string> = new Set()): SourceFinding[] {
    return [...this.best].filter(([key]) => !old.has(key)).flatMap(([, s]) => placeFindings([s.found], s.path, commits[s.commit] ?? null));
  }
}

export function sightingKey(ruleId: string, secretSha256: string, path: string): string {
  return `${ruleId}\0${secretSha256}\0${path}`;
}

function earlier(a: Sighting, b: Sighting): boolean {
  if (a.found.allowed !== b.found.allowed) return !a.found.allowed;
  if (a.commit !== b.commit) return a.commit < b.commit;
  return a.found.offset < b.found.offset; // same commit and path: the same blob
}

import type { SourceWarning } from '../types.js';
import type { Introduction } from './blob-index.js';

/** Blobs not scanned, one warning per path (a big file has many versions), naming the first commit. */
export class SkippedBlobs {
  private readonly byPath = new Map<string, { reason: string; count: number; largest: number; commit: number }>();

  constructor(private readonly commits: readonly string[]) {}

  add(introductions: readonly Introduction[], reason: string, size = 0): void {
    for (const { path, commit } of introductions) {
      const key = `${path}\0${reason}`;
      const seen = this.byPath.get(key);
      if (seen) {
        seen.count++;
        seen.largest = Math.max(seen.largest, size);
        seen.commit = Math.min(seen.commit, commit);
      } else {
        this.byPath.set(key, { reason, count: 1, largest: size, commit });
      }
    }
  }

  warnings(): SourceWarning[] {
    return [...this.byPath].map(([key, { reason, count, largest, commit }]) => {
      const versions = count === 1 ? 'a version' : `${count} versions`;
      const size = largest > 0 ? ` (${count === 1 ? '' : 'up to '}${largest} bytes)` : '';
      return {
        path: key.slice(0, key.indexOf('\0')),
        reason: `${versions} ${reason}${size}, first in commit ${this.commits[commit]?.slice(0, 12)}`,
      };
    });
  }
}

/**
 * The native pre-filter (native/scan-prefilter.c, an N-API addon built by
 * `npm run build`): reads a batch of files on several threads, off the main
 * thread, and answers which hold none of the rules' keywords. Those files are
 * clean as the engine would find them (it runs no regex where no keyword
 * occurs); every other file is scanned by the JavaScript path as before. When
 * the addon is missing or NEEVSCAN_NATIVE=0, everything takes that path.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { CompiledRule } from '../rules/types.js';

export interface PrefilterOptions {
  threads: number;
  /** Larger files are left to the JavaScript path, which reports them skipped (0: no limit). */
  maxFileSize: number;
}

interface Addon {
  /** Per path: the bytes of a file without any keyword, or a negative number for "scan it in JavaScript". */
  scan(paths: string[], keywords: Buffer[], options: PrefilterOptions): Promise<Float64Array>;
}

let addon: Addon | null | undefined;

/** The addon, or undefined when it was not built, does not load, or NEEVSCAN_NATIVE=0 turns it off. */
export function nativePrefilter(): Addon | undefined {
  if (addon === undefined) {
    addon = null;
    if (process.env.NEEVSCAN_NATIVE !== '0') {
      try {
        const path = fileURLToPath(new URL('../../native/build/Release/scan_prefilter.node', import.meta.url));
        addon = createRequire(import.meta.url)(path) as Addon;
      } catch {
        // not built (no compiler at install time): the JavaScript path scans everything
      }
    }
  }
  return addon ?? undefined;
}

/**
 * Every keyword of every rule, or undefined when a rule has none: its regex
 * reads every file, so no file can be passed over for lack of a keyword.
 */
export function keywordsOf(rules: readonly CompiledRule[]): Buffer[] | undefined {
  const keywords: Buffer[] = [];
  for (const rule of rules) {
    if (rule.keywords.length === 0) return undefined;
    keywords.push(...rule.keywords);
  }
  return keywords;
}

import type { CompiledRule } from '../rules/types.js';
import type { Located } from '../scanner/finding.js';
import { scanFile, type ReadOptions } from './read-file.js';
import type { WalkedFile } from './walk.js';

/** What scanning one file of a folder gave, as it travels from a worker thread to the main thread. */
export interface FileResult {
  relative: string;
  path: string;
  bytes: number;
  findings: Located[];
  /** Set when the file could not be scanned. */
  skipped?: string;
}

export async function scanBatch(files: readonly WalkedFile[], rules: readonly CompiledRule[], options: ReadOptions): Promise<FileResult[]> {
  const results: FileResult[] = [];
  for (const file of files) {
    const outcome = await scanFile(file.path, rules, options);
    results.push(
      outcome.kind === 'scanned'
        ? { relative: file.relative, path: file.path, bytes: outcome.bytes, findings: outcome.findings }
        : { relative: file.relative, path: file.path, bytes: 0, findings: [], skipped: outcome.reason },
    );
  }
  return results;
}

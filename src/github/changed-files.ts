/** Scans a diff's files for what it added: the patch's added lines, or the whole blob less what the base held. */
import type { BlobFindings, BlobMemo } from '../stores/blob-memo.js';
import type { CompiledRule } from '../rules/types.js';
import type { Located } from '../scanner/finding.js';
import { scanBuffer } from '../scanner/scan-buffer.js';
import type { GitData } from './git-data.js';
import { scanPatch } from './scan-patch.js';

/** The part of a compare or commit `files[]` entry used here. */
export interface ChangedFile {
  filename: string;
  status: string;
  sha?: string | null;
  patch?: string;
  previous_filename?: string;
}

/** One secret the push added; never the secret itself. */
export interface PushFinding {
  path: string;
  line: number;
  column: number;
  commit: string;
  secretSha256: string;
  redacted: string;
  ruleId: string;
}

/** Statuses whose new version may hold new text: `removed` holds none; `changed` is a type change (a symlink's target). */
const SCANNED = new Set(['added', 'modified', 'renamed', 'copied', 'changed']);

/** The findings of one push scan, the per-push blob cache, and the cap on files read. */
export class PushScanState {
  readonly findings: PushFinding[] = [];
  filesScanned = 0;
  truncated = false;
  /** `path\0secret` → the commit first credited with it, so a commit-by-commit walk reports each once. */
  private readonly firstCommit = new Map<string, string>();

  constructor(
    readonly data: GitData,
    readonly rules: readonly CompiledRule[],
    readonly maxFiles: number,
    /** Blob scans remembered across pushes, repositories and forks (Redis); consulted before a blob is fetched. */
    private readonly memo?: BlobMemo,
    /** Scan results by blob sha (not the bytes, which could be large), shared with forks of this scan. */
    private readonly blobScans = new Map<string, Promise<BlobFindings | null>>(),
  ) {}

  /** A second pass over the same push (its own findings and cap) that reuses this one's blob scans. */
  fork(maxFiles: number): PushScanState {
    return new PushScanState(this.data, this.rules, maxFiles, this.memo, this.blobScans);
  }

  /** Files left before the cap; at 0 the scan stops and says it was truncated. */
  get filesLeft(): number {
    return this.maxFiles - this.filesScanned;
  }

  /** Scans `files` of the diff `base` → `commit` and records what they added, credited to `commit`. */
  async scanFiles(files: readonly ChangedFile[], base: string | null, commit: string): Promise<void> {
    const wanted = files.filter((f) => SCANNED.has(f.status));
    if (wanted.length > this.filesLeft) this.truncated = true;
    const batch = wanted.slice(0, Math.max(0, this.filesLeft));
    this.filesScanned += batch.length;
    // A few requests at a time: blobs are the only fetches here, and the throttling plugin queues the rest.
    for (let i = 0; i < batch.length; i += 8) {
      const results = await Promise.all(batch.slice(i, i + 8).map((file) => this.scanFile(file, base)));
      results.forEach((found, j) => this.record(batch[i + j]!.filename, found, commit));
    }
  }

  private async scanFile(file: ChangedFile, base: string | null): Promise<BlobFindings> {
    if (file.patch !== undefined) return scanPatch(file.patch, this.rules).filter((f) => !f.allowed);
    if (!file.sha) return [];
    const found = (await this.scanBlob(file.sha))?.filter((f) => !f.allowed) ?? [];
    if (found.length === 0 || file.status === 'added' || base === null) return found;
    // No patch (binary, or a diff over GitHub's limits): what the base version already held is not new.
    const oldSha = await this.data.blobShaAt(base, file.previous_filename ?? file.filename);
    if (oldSha === file.sha) return [];
    if (oldSha === null) return found;
    const old = new Set(((await this.scanBlob(oldSha)) ?? []).map((f) => f.secretSha256));
    return found.filter((f) => !old.has(f.secretSha256));
  }

  /**
   * Each blob is read and scanned once per push, however many commits or
   * paths hold it, and once across pushes and forks when a memo is given
   * (only blobs GitHub gave no patch for are fetched: big or binary files,
   * the expensive ones).
   */
  private scanBlob(sha: string): Promise<BlobFindings | null> {
    let pending = this.blobScans.get(sha);
    if (!pending) {
      pending = this.fetchAndScan(sha);
      this.blobScans.set(sha, pending);
    }
    return pending;
  }

  private async fetchAndScan(sha: string): Promise<BlobFindings | null> {
    const remembered = await this.memo?.get(sha);
    if (remembered) return remembered;
    const bytes = await this.data.blob(sha);
    if (bytes === null) return null;
    const found = scanBuffer(bytes, this.rules);
    await this.memo?.set(sha, found);
    return found;
  }

  private record(path: string, found: BlobFindings, commit: string): void {
    for (const f of found) {
      const key = `${path}\0${f.secretSha256}`;
      const first = this.firstCommit.get(key);
      if (first !== undefined && first !== commit) continue;
      this.firstCommit.set(key, commit);
      this.findings.push({ path, line: f.line, column: f.column, commit, secretSha256: f.secretSha256, redacted: f.redacted, ruleId: f.ruleId });
    }
  }
}

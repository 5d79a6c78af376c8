/** Scans a diff's files for what it added: the patch's added lines, or the whole blob less what the base held. */
import type { PushFinding } from '../core/push-finding.js';
import type { BlobFindings, BlobMemo } from '../stores/blob-memo.js';
import type { CompiledRule } from '../rules/types.js';
import { scanFragment } from '../scanner/fragment.js';
import type { GitData, TreeBlob } from './git-data.js';
import { hidePathSecrets, hiddenPath, pathFinding, pathSecretId, secretsInPath } from './path-secrets.js';
import { patchFragment } from './patch.js';

/** Defined in core (the push memo keeps it too); exported here for the scan's callers. */
export type { PushFinding };

/** The part of a compare or commit `files[]` entry used here. */
export interface ChangedFile {
  filename: string;
  status: string;
  sha?: string | null;
  patch?: string;
  previous_filename?: string;
  /** Read from a tree, so `sha` is surely a blob: GitHub not serving it means it went unread (a list's entry may be a submodule's commit). */
  fromTree?: boolean;
}

/** Statuses whose new version may hold new text: `removed` holds none; `changed` is a type change (a symlink's target). */
const SCANNED = new Set(['added', 'modified', 'renamed', 'copied', 'changed']);
/** Statuses that bring a name the base did not have. */
const NEW_NAME = new Set(['added', 'renamed', 'copied']);

/** What a push scan may read through the Git Data API once GitHub's file lists are capped. */
export interface TreeReadLimits {
  /** Blobs read (fetched or taken from the memo) at most. @defaultValue 20000 */
  maxBlobs: number;
  /** Bytes of blobs fetched at most. @defaultValue 512 MiB */
  maxBytes: number;
}

export const DEFAULT_TREE_LIMITS: TreeReadLimits = { maxBlobs: 20_000, maxBytes: 512 * 1024 * 1024 };

/** The findings of one push scan, the per-push blob cache, the caps, and what could not be read. */
export class PushScanState {
  readonly findings: PushFinding[] = [];
  filesScanned = 0;
  /** What was not read, in words ("3 files over the read budget in commit abc…"): findings may be missing. */
  readonly notRead: string[] = [];
  /** Counts behind `notRead`, for the check run and logs. */
  readonly unread = { files: 0, commits: 0 };
  /** `path\0secret` → the commit first credited with it, so a commit-by-commit walk reports each once. */
  private readonly firstCommit = new Map<string, string>();
  private treeBlobs = 0;
  private treeBytes = 0;

  constructor(
    readonly data: GitData,
    readonly rules: readonly CompiledRule[],
    readonly maxFiles: number,
    /** Blob scans remembered across pushes, repositories and forks (Redis); consulted before a blob is fetched. */
    private readonly memo?: BlobMemo,
    /** Scan results by blob sha (not the bytes, which could be large), shared with forks of this scan. */
    private readonly blobScans = new Map<string, Promise<BlobFindings | null>>(),
    readonly treeLimits: TreeReadLimits = DEFAULT_TREE_LIMITS,
  ) {}

  /** A second pass over the same push (its own findings and cap) that reuses this one's blob scans. */
  fork(maxFiles: number): PushScanState {
    return new PushScanState(this.data, this.rules, maxFiles, this.memo, this.blobScans, this.treeLimits);
  }

  /** Some of the push was not read: the result must not read as clean. */
  get truncated(): boolean {
    return this.notRead.length > 0;
  }

  /** Records a part that could not be read, with the counts it adds. */
  missed(reason: string, counts: { files?: number; commits?: number } = {}): void {
    this.unread.files += counts.files ?? 0;
    this.unread.commits += counts.commits ?? 0;
    this.notRead.push(reason);
  }

  /** Files left before the listing cap; past it the scan reads trees instead (scanTreeDiff). */
  get filesLeft(): number {
    return this.maxFiles - this.filesScanned;
  }

  /** The files of a listing that the scan reads. */
  static wanted(files: readonly ChangedFile[]): ChangedFile[] {
    return files.filter((f) => SCANNED.has(f.status));
  }

  /** Scans `files` of the diff `base` → `commit` and records what they added, credited to `commit`. */
  async scanFiles(files: readonly ChangedFile[], base: string | null, commit: string): Promise<void> {
    const wanted = PushScanState.wanted(files);
    if (wanted.length > this.filesLeft)
      this.missed(
        `${wanted.length - Math.max(0, this.filesLeft)} files of commit ${commit.slice(0, 12)} over the cap of ${this.maxFiles}`,
        { files: wanted.length - Math.max(0, this.filesLeft) },
      );
    const batch = wanted.slice(0, Math.max(0, this.filesLeft));
    this.filesScanned += batch.length;
    for (const file of batch) if (NEW_NAME.has(file.status)) this.recordName(file.filename, commit);
    // A few requests at a time: blobs are the only fetches here, and the throttling plugin queues the rest.
    for (let i = 0; i < batch.length; i += 8) {
      const results = await Promise.all(batch.slice(i, i + 8).map((file) => this.scanFile(file, base)));
      results.forEach((found, j) => this.record(batch[i + j]!.filename, found, commit));
    }
  }

  /**
   * What `head` added to `base` (null: to nothing), read through the Git Data API: both recursive trees,
   * and only the blobs whose SHA is new at their path (a blob the base held anywhere is a move, not new
   * text). For a push whose file lists GitHub caps (3,000 files a commit, 300 a compare). Bounded by
   * blobs and bytes read; what is left over, or cut from a tree by GitHub, is recorded in `notRead`.
   */
  async scanTreeDiff(base: string | null, head: string): Promise<void> {
    const short = head.slice(0, 12);
    const headTree = await this.data.tree(head);
    if (headTree === null) {
      this.missed(`commit ${short} could not be read`, { commits: 1 });
      return;
    }
    if (headTree.truncated)
      this.missed(`GitHub cut the tree of commit ${short} short (over 100,000 entries): files missing from it were not read`, {
        commits: 1,
      });
    const baseTree = base === null ? null : await this.data.tree(base);
    const baseBlobs = new Set<string>();
    for (const entry of baseTree?.blobs.values() ?? []) baseBlobs.add(entry.sha);
    const changed: Array<[string, TreeBlob, boolean]> = [];
    for (const [path, entry] of headTree.blobs) {
      const old = baseTree?.blobs.get(path);
      if (old?.sha === entry.sha) continue;
      if (old === undefined) this.recordName(path, head);
      // Submodules are not blobs; a blob the base held at another path was moved or copied, its text is not new.
      if (!baseBlobs.has(entry.sha)) changed.push([path, entry, old !== undefined]);
    }
    let skipped = 0;
    const batch: ChangedFile[] = [];
    for (const [path, entry, existed] of changed) {
      const known = this.blobScans.has(entry.sha);
      if (!known && (this.treeBlobs >= this.treeLimits.maxBlobs || this.treeBytes + entry.size > this.treeLimits.maxBytes)) {
        skipped++;
        continue;
      }
      if (!known) {
        this.treeBlobs++;
        this.treeBytes += entry.size;
      }
      batch.push({ filename: path, status: existed ? 'modified' : 'added', sha: entry.sha, fromTree: true });
    }
    if (skipped > 0)
      this.missed(
        `${skipped} files of commit ${short} over the read budget (${this.treeLimits.maxBlobs} blobs, ${this.treeLimits.maxBytes} bytes a push)`,
        { files: skipped },
      );
    this.filesScanned += batch.length;
    for (let i = 0; i < batch.length; i += 8) {
      const results = await Promise.all(batch.slice(i, i + 8).map((file) => this.scanFile(file, base)));
      results.forEach((found, j) => this.record(batch[i + j]!.filename, found, head));
    }
  }

  private async scanFile(file: ChangedFile, base: string | null): Promise<BlobFindings> {
    if (file.patch !== undefined) return scanFragment(patchFragment(file.patch), this.rules);
    if (!file.sha) return [];
    const scanned = await this.scanBlob(file.sha);
    if (scanned === null) {
      if (!file.fromTree) return [];
      this.missed(`${hidePathSecrets(file.filename, this.rules)} (blob ${file.sha.slice(0, 12)}) could not be read`, { files: 1 });
      return [];
    }
    const found = scanned;
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
    const found = scanFragment({ bytes }, this.rules);
    await this.memo?.set(sha, found);
    return found;
  }

  private record(path: string, found: BlobFindings, commit: string): void {
    // A file whose name holds a key: its findings never carry the name as it is.
    const hidden = found.length > 0 ? hiddenPath(path, this.rules) : null;
    for (const f of found) {
      const key = `${path}\0${f.secretSha256}`;
      const first = this.firstCommit.get(key);
      if (first !== undefined && first !== commit) continue;
      this.firstCommit.set(key, commit);
      this.findings.push({
        path: hidden?.path ?? path,
        ...(hidden ? { folder: hidden.folder } : {}),
        line: f.line,
        column: f.column,
        commit,
        secretSha256: f.secretSha256,
        redacted: f.redacted,
        ruleId: f.ruleId,
        ...(f.allowed ? { allowMarker: true as const } : {}),
      });
    }
  }

  /** Keys in a new file's name: one place per key and name (a folder's key once, however many files it holds). */
  private recordName(path: string, commit: string): void {
    for (const s of secretsInPath(path, this.rules)) {
      const id = pathSecretId(s);
      if (this.firstCommit.has(id)) continue;
      this.firstCommit.set(id, commit);
      this.findings.push(pathFinding(s, commit));
    }
  }
}

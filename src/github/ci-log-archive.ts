/**
 * Reads a GitHub Actions logs archive (a zip) entry by entry and scans each step's log as a stream: no
 * entry is held whole, and nothing of a log but its findings (hash, hint, line) leaves this module.
 * The archive holds `<job>/<n>_<step>.txt` for each step, and `<n>_<job>.txt` with each job's whole log
 * (the same lines again): a job whose steps are in the archive is read through its steps only.
 */
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import type { CompiledRule } from '../rules/types.js';
import { scanStream } from '../scanner/scan-stream.js';
import { hidePathSecrets } from './path-secrets.js';

export interface CiLogFinding {
  /** The job, as the archive names its folder (keys in it replaced by their hints). */
  job: string;
  /** The step's file name without `.txt` (`3_Run tests`); '' for a job's whole log, read when its steps are absent. */
  step: string;
  /** The line in the step's (or job's) log. */
  line: number;
  ruleId: string;
  secretSha256: string;
  redacted: string;
  allowMarker: boolean;
}

export interface ArchiveLimits {
  /** Bytes read of one entry; the rest of it is not read (and reported). */
  maxEntryBytes: number;
  /** Bytes read of all entries together: a small zip may inflate to a great deal. */
  maxTotalBytes: number;
  /** Entries looked at. */
  maxEntries: number;
}

export const DEFAULT_ARCHIVE_LIMITS: ArchiveLimits = {
  maxEntryBytes: 64 * 1024 * 1024,
  maxTotalBytes: 1024 * 1024 * 1024,
  maxEntries: 5000,
};

export interface ArchiveScan {
  findings: CiLogFinding[];
  /** Log files read (wholly or in part). */
  logs: number;
  /** What was not read, or not wholly: never taken as clean. Names only, hinted. */
  notRead: string[];
}

interface LogEntry {
  entry: Entry;
  job: string;
  step: string;
}

/** Scans every step log of the archive at `file`. */
export async function scanLogsArchive(
  file: string,
  rules: readonly CompiledRule[],
  limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS,
): Promise<ArchiveScan> {
  const zip = await yauzl.openPromise(file, { lazyEntries: true, autoClose: false, validateEntrySizes: true, strictFileNames: false });
  const result: ArchiveScan = { findings: [], logs: 0, notRead: [] };
  try {
    const { entries, more } = await listEntries(zip, limits.maxEntries);
    if (more) result.notRead.push(`entries past the first ${limits.maxEntries}`);
    let budget = limits.maxTotalBytes;
    for (const log of logsToRead(entries)) {
      const name = hidePathSecrets(log.step ? `${log.job}/${log.step}` : log.job, rules);
      if (log.entry.isEncrypted()) {
        result.notRead.push(`${name}: encrypted`);
        continue;
      }
      if (budget <= 0) {
        result.notRead.push(`${name}: past the archive's read budget of ${limits.maxTotalBytes} bytes`);
        continue;
      }
      const cap = Math.min(limits.maxEntryBytes, budget);
      const read = await scanEntry(zip, log.entry, cap, rules);
      budget -= read.bytes;
      result.logs++;
      if (read.error) result.notRead.push(`${name}: ${read.error}`);
      else if (read.cut) result.notRead.push(`${name}: read to ${cap} bytes of ${log.entry.uncompressedSize}`);
      const job = hidePathSecrets(log.job, rules);
      const step = hidePathSecrets(log.step, rules);
      for (const f of read.findings) {
        result.findings.push({
          job,
          step,
          line: f.line,
          ruleId: f.ruleId,
          secretSha256: f.secretSha256,
          redacted: f.redacted,
          allowMarker: f.allowed,
        });
      }
    }
  } finally {
    zip.close();
  }
  return result;
}

function listEntries(zip: ZipFile, max: number): Promise<{ entries: Entry[]; more: boolean }> {
  return new Promise((resolve, reject) => {
    const entries: Entry[] = [];
    zip.on('entry', (entry: Entry) => {
      if (entries.length >= max) return resolve({ entries, more: true });
      entries.push(entry);
      zip.readEntry();
    });
    zip.on('end', () => resolve({ entries, more: false }));
    zip.on('error', reject);
    zip.readEntry();
  });
}

/** `3_Run tests.txt` → `3_Run tests` (string operations: these names are the run's, untrusted). */
const withoutTxt = (name: string) => (name.endsWith('.txt') ? name.slice(0, -'.txt'.length) : name);

/** `0_build` → `build`: the number GitHub puts before a job's whole log. */
function withoutNumber(name: string): string {
  const underscore = name.indexOf('_');
  if (underscore <= 0) return name;
  for (let i = 0; i < underscore; i++) if (name.charCodeAt(i) < 48 || name.charCodeAt(i) > 57) return name;
  return name.slice(underscore + 1);
}

/** Step logs, and each job's whole log only when none of its steps is in the archive. */
function logsToRead(entries: readonly Entry[]): LogEntry[] {
  const files = entries.filter((e) => !e.fileName.endsWith('/'));
  const steps: LogEntry[] = [];
  const jobsWithSteps = new Set<string>();
  for (const entry of files) {
    const slash = entry.fileName.indexOf('/');
    if (slash <= 0) continue;
    const job = entry.fileName.slice(0, slash);
    jobsWithSteps.add(job);
    steps.push({ entry, job, step: withoutTxt(entry.fileName.slice(slash + 1)) });
  }
  const wholeJobs: LogEntry[] = [];
  for (const entry of files) {
    if (entry.fileName.includes('/')) continue;
    const job = withoutNumber(withoutTxt(entry.fileName));
    if (!jobsWithSteps.has(job)) wholeJobs.push({ entry, job, step: '' });
  }
  return [...wholeJobs, ...steps];
}

interface EntryScan {
  findings: Awaited<ReturnType<typeof scanStream>>['findings'];
  bytes: number;
  /** The entry went on past the cap. */
  cut: boolean;
  error?: string;
}

async function scanEntry(zip: ZipFile, entry: Entry, cap: number, rules: readonly CompiledRule[]): Promise<EntryScan> {
  let stream: NodeJS.ReadableStream & { destroy(): void };
  try {
    stream = (await zip.openReadStreamPromise(entry)) as typeof stream;
  } catch (error) {
    return { findings: [], bytes: 0, cut: false, error: `unreadable (${(error as Error).message})` };
  }
  let bytes = 0;
  let cut = false;
  async function* capped(): AsyncGenerator<Buffer> {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const room = cap - bytes;
      if (chunk.length > room) {
        cut = true;
        if (room > 0) yield chunk.subarray(0, room);
        bytes = cap;
        return;
      }
      bytes += chunk.length;
      yield chunk;
    }
  }
  try {
    const scanned = await scanStream(capped(), rules);
    return { findings: scanned.findings, bytes, cut };
  } catch (error) {
    return { findings: [], bytes, cut, error: `unreadable (${(error as Error).message})` };
  } finally {
    stream.destroy();
  }
}

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CiLogLocation, Exposure } from '../core/exposure.js';
import { scanLogsArchive } from '../github/ci-log-archive.js';
import { downloadRunLogs } from '../github/run-logs.js';
import { pipelineMetrics } from '../metrics/pipeline-metrics.js';
import { mapLimit } from '../util/map-limit.js';
import type { CiLogJob } from './ci-log-job.js';
import type { AppJobDeps } from './deps.js';
import { handleExposure } from './handle-exposure.js';

export interface CiLogResult {
  /** Whether the logs were read: `too-large` (over NEEVSCAN_CI_LOG_MAX_BYTES) and `gone` (expired, deleted) were not. */
  scanned: 'yes' | 'too-large' | 'gone';
  /** Step logs read. */
  logs: number;
  findings: number;
  revoked: number;
  /** What was not read, or not wholly (names only): never clean. */
  notRead: string[];
}

/**
 * One completed run: download its logs archive (capped) to a temporary file, scan each step's log as a
 * stream, then confirm → revoke (a public repository's logs are public: by policy) → alert each key.
 * The archive is deleted whatever happens; no log text is kept anywhere.
 */
export async function processCiLog(job: CiLogJob, deps: AppJobDeps, maxBytes: number): Promise<CiLogResult> {
  const named = `logs of run ${job.runId} of ${job.owner}/${job.repo}`;
  const dir = await mkdtemp(join(tmpdir(), 'neevscan-ci-log-'));
  try {
    const client = deps.github.forInstallation(job.installationId);
    const download = await downloadRunLogs(client, job, join(dir, 'logs.zip'), maxBytes);
    if (!download.saved) {
      const why =
        download.reason === 'gone'
          ? `gone (GitHub answered ${download.status}: expired or deleted)`
          : `not scanned: the archive is over ${maxBytes} bytes (NEEVSCAN_CI_LOG_MAX_BYTES)`;
      deps.log?.(`ci-log: ${named} ${why}`);
      if (download.reason === 'too-large') pipelineMetrics.scansIncomplete().inc({ source: 'ci-log' });
      return {
        scanned: download.reason,
        logs: 0,
        findings: 0,
        revoked: 0,
        notRead: [download.reason === 'gone' ? 'the archive: gone' : 'the archive: too large'],
      };
    }
    const scan = await scanLogsArchive(join(dir, 'logs.zip'), deps.rules);
    if (scan.notRead.length > 0) {
      deps.log?.(`ci-log: ${named} not wholly scanned: ${scan.notRead.join('; ')}`);
      pipelineMetrics.scansIncomplete().inc({ source: 'ci-log' });
    }
    const seenAt = new Date().toISOString();
    const outcomes = await mapLimit(scan.findings, 16, async (finding) => {
      const location: CiLogLocation = {
        source: 'ci-log',
        repo: `${job.owner}/${job.repo}`,
        path: finding.step ? `${finding.job}/${finding.step}` : finding.job,
        job: finding.job,
        step: finding.step,
        line: finding.line,
        commit: job.headSha,
        url: job.htmlUrl,
        seenAt,
        ...(finding.allowMarker ? { allowMarker: true as const } : {}),
      };
      const exposure: Exposure = {
        secretSha256: finding.secretSha256,
        redacted: finding.redacted,
        ruleId: finding.ruleId,
        location,
        public: job.public,
        pushedAt: null,
        receivedAt: job.receivedAt,
      };
      return (await handleExposure(deps, exposure)).outcome;
    });
    return {
      scanned: 'yes',
      logs: scan.logs,
      findings: scan.findings.length,
      revoked: outcomes.filter((o) => o === 'revoked').length,
      notRead: scan.notRead,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

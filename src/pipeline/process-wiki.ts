import { UnrecoverableError } from 'bullmq';
import { hidePathSecrets } from '../github/path-secrets.js';
import { findSecretsInWikiCommits, wikiGitUrl } from '../github/wiki.js';
import { mapLimit } from '../util/map-limit.js';
import { handleExposure } from './handle-exposure.js';
import type { AppJobDeps } from './deps.js';
import type { Exposure } from '../core/exposure.js';
import type { WikiJob } from './wiki-job.js';

export interface WikiResult {
  findings: number;
  revoked: number;
  skipped: number;
}

/**
 * One wiki edit: fetch the page commits, scan what they added, and confirm →
 * revoke (public wikis, by policy) → alert each key. Idempotent like pushes.
 */
export async function processWiki(job: WikiJob, deps: AppJobDeps): Promise<WikiResult> {
  const gitUrl = wikiGitUrl(job.cloneUrl, deps.githubApiUrl ?? 'https://api.github.com');
  if (!gitUrl)
    throw new UnrecoverableError(`wiki of ${job.owner}/${job.repo}: its clone URL is not on GITHUB_API_URL's host; no token is sent there`);
  let token: string | null = null;
  if (job.installationId !== null) {
    const auth = (await deps.github.forInstallation(job.installationId).auth({ type: 'installation' })) as { token: string };
    token = auth.token;
  }
  const scan = await findSecretsInWikiCommits(
    gitUrl,
    token,
    job.pages.map((p) => p.sha),
    deps.rules,
  );
  const linkFor = new Map(job.pages.map((p) => [p.sha, p.url]));
  const seenAt = new Date().toISOString();
  const outcomes = await mapLimit(scan.findings, 16, async (finding) => {
    const exposure: Exposure = {
      secretSha256: finding.secretSha256,
      redacted: finding.redacted,
      ruleId: finding.ruleId,
      location: {
        source: 'wiki',
        repo: `${job.owner}/${job.repo}`,
        // A page file whose name holds a key is stored with the key replaced by its hint.
        path: hidePathSecrets(finding.path, deps.rules),
        line: finding.line,
        commit: finding.commit,
        url: linkFor.get(finding.commit) ?? `${job.htmlUrl}/wiki`,
        seenAt,
        ...(finding.allowMarker ? { allowMarker: true as const } : {}),
      },
      public: !job.private,
      pushedAt: null,
      receivedAt: job.receivedAt,
    };
    return (await handleExposure(deps, exposure)).outcome;
  });
  return { findings: scan.findings.length, revoked: outcomes.filter((o) => o === 'revoked').length, skipped: scan.skipped };
}

import type { PushFinding } from '../github/changed-files.js';
import type { Exposure, Source } from './types.js';

/** Where a finding in a repository was seen, and under which circumstances: what turns it into an Exposure. */
export interface RepoContext {
  source: Extract<Source, 'push' | 'install-scan' | 'public-events'>;
  owner: string;
  repo: string;
  /** The repository's web address (github.com or a GHES host), for the link to the line. */
  htmlUrl: string;
  public: boolean;
  pushedAt: string | null;
  /** Pushes: when the head commit was made (shown apart from pushedAt). */
  committedAt?: string | null;
  receivedAt: string;
  seenAt: string;
}

/** A finding in a repository file as an exposure, with a link to the line at the commit. */
export function repoExposure(finding: PushFinding, context: RepoContext): Exposure {
  const path = finding.path.split('/').map(encodeURIComponent).join('/');
  return {
    secretSha256: finding.secretSha256,
    redacted: finding.redacted,
    ruleId: finding.ruleId,
    location: {
      source: context.source,
      repo: `${context.owner}/${context.repo}`,
      path: finding.path,
      line: finding.line,
      commit: finding.commit,
      url: `${context.htmlUrl}/blob/${finding.commit}/${path}#L${finding.line}`,
      seenAt: context.seenAt,
    },
    public: context.public,
    pushedAt: context.pushedAt,
    ...(context.committedAt ? { committedAt: context.committedAt } : {}),
    receivedAt: context.receivedAt,
  };
}

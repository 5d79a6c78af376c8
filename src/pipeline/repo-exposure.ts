import type { PushFinding } from '../github/changed-files.js';
import type { Exposure, FileLocation, Source } from '../core/exposure.js';

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
  /** Part of the push or repository could not be read: each alert says so. */
  scanIncomplete?: boolean;
}

/** The place of a finding in a file: at its line, or (a key in the name) in the file's name. */
function fileLocation(finding: PushFinding, context: RepoContext, url: string): FileLocation {
  const at = {
    source: context.source,
    repo: `${context.owner}/${context.repo}`,
    path: finding.path,
    commit: finding.commit,
    url,
    seenAt: context.seenAt,
  };
  const notes = {
    ...(finding.allowMarker ? { allowMarker: true as const } : {}),
    ...(context.scanIncomplete ? { scanIncomplete: true as const } : {}),
  };
  return finding.inPath ? { ...at, line: null, field: 'path', ...notes } : { ...at, line: finding.line, ...notes };
}

/**
 * A finding in a repository file as an exposure, with a link to the line at the commit. A file whose
 * name holds a key (the key found, or another) is linked to the deepest folder above it that holds no
 * key (the name itself would put the key in the link); its path comes with each key replaced by its hint.
 */
export function repoExposure(finding: PushFinding, context: RepoContext): Exposure {
  const encode = (p: string) => p.split('/').map(encodeURIComponent).join('/');
  const url =
    finding.folder !== undefined
      ? `${context.htmlUrl}/tree/${finding.commit}${finding.folder ? `/${encode(finding.folder)}` : ''}`
      : `${context.htmlUrl}/blob/${finding.commit}/${encode(finding.path)}#L${finding.line}`;
  return {
    secretSha256: finding.secretSha256,
    redacted: finding.redacted,
    ruleId: finding.ruleId,
    location: fileLocation(finding, context, url),
    public: context.public,
    pushedAt: context.pushedAt,
    ...(context.committedAt ? { committedAt: context.committedAt } : {}),
    receivedAt: context.receivedAt,
  };
}

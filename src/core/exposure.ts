/**
 * The domain every part of the service shares: a secret seen at a place (an
 * exposure) and what the service may do about it. The pipeline passes these
 * between its stages, the stores keep them in alerts, notify reports them.
 * None of it ever holds a raw key: a secret travels as its sha256 and its
 * redacted hint, plus where it was seen (BullMQ stores job data in clear in
 * Redis). This module imports nothing of the project.
 */

/**
 * Where a secret was seen (alert `locations[].source`). `commit`: a commit
 * message (the commit's SHA and link); `release`: a release's name or notes;
 * `pull_request_review`: a pull request review's body.
 */
export type Source =
  | 'push'
  | 'partner'
  | 'public-events'
  | 'issue'
  | 'pull_request'
  | 'comment'
  | 'discussion'
  | 'wiki'
  | 'install-scan'
  | 'commit'
  | 'release'
  | 'pull_request_review'
  /** A canary key presented to authenticate: the place is the caller (`caller`). */
  | 'canary-use';

/** Who presented a canary key, as the gateway reported it (each part optional, never trusted). */
export interface CallerSeen {
  clientIp: string | null;
  userAgent: string | null;
  endpoint: string | null;
}

/** One place a secret was seen: an alert keeps a list of them. */
export interface Location {
  source: Source;
  /** `owner/name`, when the place is a repository. */
  repo: string | null;
  path: string | null;
  line: number | null;
  commit: string | null;
  /** A link a person can open: the blob at the commit and line, the issue, the partner's url. */
  url: string | null;
  /** When neevscan saw it, ISO 8601. */
  seenAt: string;
  /** Partner reports only: where on GitHub the token was found, as GitHub names it (`content`, `commit`, `issue_comment`, `gist_content`, `npm`…). */
  partnerSource?: string;
  /** `path`: the key was in the file's name (or a folder's), not its content; `path` then holds the name with the key replaced by its hint, and `line` is null. */
  field?: 'path';
  /** The key's line carried a `neevscan:allow` marker. The service acts on a live key all the same: the marker is the pusher's to write. */
  allowMarker?: true;
  /** Part of the push or repository this was found in could not be read: other keys may be missing from the alert. */
  scanIncomplete?: true;
  /** `canary-use` only: the caller that presented the canary. */
  caller?: CallerSeen;
}

/** One secret found at one place, on its way to confirm → revoke → alert. */
export interface Exposure {
  secretSha256: string;
  /** `neev_…abcd`. */
  redacted: string;
  ruleId: string;
  location: Location;
  /** Seen in a public place (a public repository, a public issue, a partner report). */
  public: boolean;
  /** When the change was pushed or the text posted, if known (ISO 8601): the start of push-to-revoke latency. */
  pushedAt: string | null;
  /** Pushes only: when the head commit was made, by its committer's clock (ISO 8601). Shown apart; latency never runs from it. */
  committedAt?: string | null;
  /** When neevscan received the event (ISO 8601). */
  receivedAt: string;
}

/** REVOKE_POLICY: which confirmed keys are revoked at once. */
export type RevokePolicy = 'public' | 'all' | 'off';

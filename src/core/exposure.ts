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
  /** A key anyone reported through POST /api/v1/public/report: the place is the URL the reporter gave. */
  | 'report'
  /** A canary key presented to authenticate: the place is the caller (`caller`). */
  | 'canary-use'
  /** A GitHub Actions run's log: the place is the job and step (`path`: `job/step`), the line in the step's log, the run's link. */
  | 'ci-log';

/** Who presented a canary key, as the gateway reported it (each part optional, never trusted). */
export interface CallerSeen {
  clientIp: string | null;
  userAgent: string | null;
  endpoint: string | null;
}

/** Sources whose place is the text of an issue, a pull request, a comment, a discussion, a review or a release. */
export type TextSource = Extract<Source, 'issue' | 'pull_request' | 'comment' | 'discussion' | 'pull_request_review' | 'release'>;

/**
 * What every place has. `repo`, `path`, `line`, `commit` and `url` are in every variant (null where the
 * place has none), so each location serialises with all five keys, as the alert JSON always had them.
 */
interface PlaceBase {
  /** A link a person can open: the blob at the commit and line, the issue, the partner's url. */
  url: string | null;
  /** When neevscan saw it, ISO 8601. */
  seenAt: string;
  /** The key's line carried a `neevscan:allow` marker. The service acts on a live key all the same: the marker is the pusher's to write. */
  allowMarker?: true;
}

/** A key in a repository's file content at a commit: a push, a repository scan, a public push. */
export interface FileContentLocation<S extends Source = FileSource> extends PlaceBase {
  source: S;
  /** `owner/name`. */
  repo: string;
  /** The file's path; when a folder's or the file's name holds a key, with each key replaced by its hint. */
  path: string;
  line: number;
  commit: string;
  url: string;
  field?: undefined;
  /** Part of the push or repository this was found in could not be read: other keys may be missing from the alert. */
  scanIncomplete?: true;
}

/** A key in a file's (or a folder's) name at a commit: `path` holds the name with the key replaced by its hint, and there is no line. */
export interface FileNameLocation<S extends Source = FileSource> extends Omit<FileContentLocation<S>, 'line' | 'field'> {
  line: null;
  field: 'path';
}

/** Sources that read files at a commit. */
export type FileSource = Extract<Source, 'push' | 'install-scan' | 'public-events'>;
export type FileLocation<S extends Source = FileSource> = FileContentLocation<S> | FileNameLocation<S>;

/** A key in a commit message: the commit's SHA and link (null when the payload's id is not a SHA), the line in the message. */
export interface CommitMessageLocation<S extends Source = Extract<Source, 'commit' | 'public-events'>> extends PlaceBase {
  source: S;
  repo: string | null;
  path: null;
  line: number;
  commit: string | null;
  url: string | null;
}

/** A key in posted text (an issue, a comment, a release…): no file; `commit` only for a commit comment. */
export interface TextLocation<S extends Source = TextSource | 'public-events'> extends PlaceBase {
  source: S;
  repo: string | null;
  path: null;
  line: number;
  commit: string | null;
  url: string | null;
}

/** A key in a wiki page's title, name or edit summary (from the delivery): no file, no commit, no line. */
export interface WikiTitleLocation extends PlaceBase {
  source: 'wiki';
  repo: string;
  path: null;
  line: null;
  commit: null;
  url: string;
}

/** A key a wiki edit added to a page: the page file in the wiki's git repository, at the edit's commit. */
export interface WikiPageLocation extends PlaceBase {
  source: 'wiki';
  repo: string;
  path: string;
  line: number;
  commit: string;
  url: string;
}

/** A token GitHub's secret scanning reported to us: only GitHub's link, and where GitHub says it found it. */
export interface PartnerLocation extends PlaceBase {
  source: 'partner';
  repo: null;
  path: null;
  line: null;
  commit: null;
  /** Where on GitHub the token was found, as GitHub names it (`content`, `commit`, `issue_comment`, `gist_content`, `npm`…). */
  partnerSource?: string;
}

/** A key anyone reported through `POST /api/v1/public/report`: only the URL the reporter gave (checked http(s), keys in it hinted). */
export interface ReportLocation extends PlaceBase {
  source: 'report';
  repo: null;
  path: null;
  line: null;
  commit: null;
  url: string;
}

/** A canary key presented to authenticate: the place is the caller, as the gateway reported it. */
export interface CanaryUseLocation extends PlaceBase {
  source: 'canary-use';
  repo: null;
  path: null;
  line: null;
  commit: null;
  url: null;
  caller: CallerSeen;
}

/**
 * A key a GitHub Actions run printed in a step's log. `path` is `job/step` as the logs archive names the
 * step's file (`build/3_Run tests`, keys in it replaced by their hints), `line` the line in that step's log,
 * `commit` the run's head commit, `url` the run's page.
 */
export interface CiLogLocation extends PlaceBase {
  source: 'ci-log';
  repo: string;
  path: string;
  line: number;
  commit: string | null;
  url: string;
  /** The job's name, as the archive names its folder (keys in it replaced by their hints). */
  job: string;
  /** The step's file name without `.txt`: `3_Run tests` (its number, then its name). */
  step: string;
}

/**
 * One place a secret was seen (an alert keeps a list of them), by source. The public events feed reports
 * every kind of place it saw (a file, a commit message, a text) as `public-events`.
 */
export type Location =
  | FileLocation<Extract<Source, 'push' | 'install-scan' | 'public-events'>>
  | CommitMessageLocation
  | TextLocation
  | WikiTitleLocation
  | WikiPageLocation
  | PartnerLocation
  | ReportLocation
  | CanaryUseLocation
  | CiLogLocation;

/**
 * A location as alert JSON carries it, every variant in one flat shape: what the stores, the export and the
 * notification payload copy field by field. Every Location is one.
 */
export interface LocationRecord {
  source: Source;
  repo: string | null;
  path: string | null;
  line: number | null;
  commit: string | null;
  url: string | null;
  seenAt: string;
  partnerSource?: string;
  field?: 'path';
  allowMarker?: true;
  scanIncomplete?: true;
  /** `canary-use` only: the caller that presented the canary. */
  caller?: CallerSeen;
  /** `ci-log` only: the job and the step whose log held the key (`path` is `job/step`). */
  job?: string;
  step?: string;
}

/** The flat view of a location, for readers that copy its fields whatever its source. */
export function locationRecord(location: Location): LocationRecord {
  return location;
}

/** Partner reports only: where GitHub says it found the token. */
export function partnerSourceOf(location: Location): string | undefined {
  return location.source === 'partner' ? location.partnerSource : undefined;
}

/** The key was in a file's (or a folder's) name, not its content. */
export function inFileName(location: Location): location is FileNameLocation {
  return 'field' in location && location.field === 'path';
}

/** Part of the push or repository the place was found in could not be read. */
export function scanWasIncomplete(location: Location): boolean {
  return 'scanIncomplete' in location && location.scanIncomplete === true;
}

/** One secret found at one place, on its way to confirm → revoke → alert. */
export interface Exposure<L extends Location = Location> {
  secretSha256: string;
  /** `neev_…abcd`. */
  redacted: string;
  ruleId: string;
  location: L;
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

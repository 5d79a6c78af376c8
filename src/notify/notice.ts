import { inFileName, locationRecord, type Location, type RevokePolicy, type Source } from '../core/exposure.js';
import type { Alert } from '../core/alert.js';
import type { CallerEvidence, KeyStatus, RevokedBy, UsageBucket } from '../stores/key-store.js';
import { formatCount, formatDuration, formatTime } from '../util/text.js';

/**
 * What one notification says, decided once for every channel (email, the
 * webhook's JSON, the security team's mail and Slack): which key (name and
 * hint, never the key), where it was found, when, what was done, and what
 * to do next. Pure: the notifier gathers the inputs, the renderers format.
 */

export interface NoticeInput {
  alert: Alert;
  /** The key as the key store sees it now; null when the store no longer knows it (the alert's copy is used). */
  key: {
    id: string;
    name: string;
    hint: string;
    status: KeyStatus;
    revokedAt: string | null;
    revokedBy: RevokedBy | null;
    canary?: boolean;
    canaryLabel?: string | null;
    replacedBy?: string | null;
  } | null;
  owner: { id: string; name: string };
  /** Which notice of the alert this is, and which of its places (by recording order) it covers: [from, to). */
  notice: { number: number; from: number; to: number };
  /** Usage since the push, by the hour; null when the key store could not say. */
  usage: UsageBucket[] | null;
  /** Who used the key from the exposure to its revocation (or now); null when the key store keeps no caller summaries. */
  callers?: CallerEvidence | null;
  policy: RevokePolicy;
  /** Where owners manage their keys, if configured. */
  keysUrl?: string;
}

/** `canary`: a honeytoken was used or found; it is never revoked automatically (it guards nothing). */
export type ActionKind = 'revoked' | 'already_revoked' | 'expired' | 'not_revoked' | 'canary';

export interface Notice {
  alertId: string;
  number: number;
  followUp: boolean;
  subject: string;
  owner: { id: string; name: string };
  key: { id: string; name: string; hint: string; status: KeyStatus };
  /** The places this notice is about (new ones, for a follow-up), at most MAX_LISTED_PLACES. */
  places: Place[];
  /** How many places this notice is about, listed or not. */
  placeCount: number;
  /** Every place the key was seen, over all notices. */
  totalPlaces: number;
  /** When GitHub received the push (or the text was posted): what "N after the push" is counted from. */
  pushedAt: string | null;
  /** Pushes: when the commit was made, by its committer's clock; shown as "committed", apart from the push. */
  committedAt: string | null;
  foundAt: string;
  action: {
    kind: ActionKind;
    at: string | null;
    by: RevokedBy | null;
    latencyMs: number | null;
    notRevokedReason: 'policy_off' | 'private_only' | 'unknown' | null;
    /** For a revoked key: when the gateway's check was seen refusing it (null: not yet), and where that proof stands. */
    verifiedAt: string | null;
    verification: 'verified' | 'pending' | 'still_authenticates' | 'failed' | null;
    summary: string;
  };
  usage: { since: string; requests: number; tokens: number; hourly: UsageBucket[] } | null;
  /** Callers between the exposure and the revocation (or now), with those never seen on the key before it. */
  callers: CallerEvidence | null;
  /** A canary key (honeytoken): high severity, for the owner and the security team. */
  canary: { label: string } | null;
  /** The key that replaced the exposed one, once replaced. */
  replacedBy: string | null;
  nextSteps: Array<{ id: string; title: string; text: string; url?: string }>;
  neverStoreIn: string[];
}

export type Place = Location & PlaceWords;

export interface PlaceWords {
  /** "octo-org/app: config/app.env, line 3", or the partner's words. */
  title: string;
  /** What kind of place, in words. */
  sourceLabel: string;
  /** A link to the commit, when the place is a file at a commit. */
  commitUrl: string | null;
}

/** Places listed in one notice; the rest are counted ("and 240 more"). */
export const MAX_LISTED_PLACES = 100;

export const NEVER_STORE_IN = [
  'repositories (public or private, including their history)',
  'public documentation, wikis and issue trackers',
  'client-side JavaScript or mobile apps',
  'shared documents, chats and tickets',
];

const SOURCE_LABELS: Record<Source, string> = {
  push: 'pushed to a repository',
  partner: 'reported by GitHub secret scanning',
  'public-events': 'public GitHub activity',
  issue: 'a GitHub issue',
  pull_request: 'a pull request',
  comment: 'a comment',
  discussion: 'a discussion',
  wiki: 'a wiki page',
  'install-scan': 'a repository scan',
  commit: 'a commit message',
  release: 'a release',
  pull_request_review: 'a pull request review',
  report: 'reported by a researcher',
  'canary-use': 'a request made with the canary',
  'ci-log': 'a GitHub Actions log',
};

export function buildNotice(input: NoticeInput): Notice {
  const { alert, notice } = input;
  const key = {
    id: input.key?.id ?? alert.keyId,
    name: input.key?.name ?? '(unnamed key)',
    hint: input.key?.hint ?? alert.keyHint,
    status: input.key?.status ?? alert.keyStatus,
  };
  const listed = alert.locations.slice(notice.from, Math.min(notice.to, notice.from + MAX_LISTED_PLACES)).map(describePlace);
  const canary = alert.canary || input.key?.canary ? { label: alert.canaryLabel ?? input.key?.canaryLabel ?? '' } : null;
  const action = withVerification(describeAction(input, canary), alert);
  const since = alert.pushedAt ?? alert.firstSeenAt;
  const usage = input.usage ? summarizeUsage(since, input.usage) : null;
  const callers = input.callers ?? null;
  const followUp = notice.number > 1;
  const placeCount = notice.to - notice.from;
  return {
    alertId: alert.id,
    number: notice.number,
    followUp,
    subject: canary ? canarySubject(key, alert, followUp) : subjectOf(key, action.kind, followUp, placeCount),
    owner: input.owner,
    key,
    places: listed,
    placeCount,
    totalPlaces: alert.locationCount,
    pushedAt: alert.pushedAt,
    committedAt: alert.committedAt ?? null,
    foundAt: alert.firstSeenAt,
    action,
    usage,
    callers,
    canary,
    replacedBy: alert.replacedBy ?? input.key?.replacedBy ?? null,
    nextSteps: canary ? canarySteps(key, canary, callers) : nextSteps(key, action, usage, callers, since, input.keysUrl),
    neverStoreIn: NEVER_STORE_IN,
  };
}

function subjectOf(key: Notice['key'], kind: ActionKind, followUp: boolean, placeCount: number): string {
  const which = `NeevCloud API key "${key.name}" (${key.hint})`;
  if (followUp) return `${which} was found in ${placeCount} more ${placeCount === 1 ? 'place' : 'places'}`;
  if (kind === 'revoked') return `${which} was exposed and revoked`;
  if (kind === 'already_revoked') return `${which} was exposed (it was already revoked)`;
  if (kind === 'expired') return `${which} was exposed (it had already expired)`;
  return `Action needed: ${which} was exposed and is still active`;
}

function canarySubject(key: Notice['key'], alert: NoticeInput['alert'], followUp: boolean): string {
  const used = alert.locations.some((l) => l.source === 'canary-use');
  return `SECURITY: canary key "${key.name}" (${key.hint}) was ${used ? 'used' : 'found'}${followUp ? ' again' : ''}`;
}

/** What the proof of the revocation says (src/pipeline/revocation-check.ts), in the action and its summary. */
function withVerification(action: Omit<Notice['action'], 'verifiedAt' | 'verification'>, alert: Alert): Notice['action'] {
  if (action.kind !== 'revoked' && action.kind !== 'already_revoked') return { ...action, verifiedAt: null, verification: null };
  const verification = alert.verifiedRevokedAt ? 'verified' : (alert.revocationVerification ?? 'pending');
  const said =
    verification === 'verified'
      ? ` Verified at ${formatTime(alert.verifiedRevokedAt)}: the API refuses the key.`
      : verification === 'pending'
        ? ' Verification that the API refuses it is pending.'
        : ' WARNING: the API still accepted the key after its revocation; our security team is on it.';
  return { ...action, verifiedAt: alert.verifiedRevokedAt, verification, summary: `${action.summary}${said}` };
}

function describeAction(input: NoticeInput, canary: Notice['canary']): Omit<Notice['action'], 'verifiedAt' | 'verification'> {
  const { alert } = input;
  const status = input.key?.status ?? alert.keyStatus;
  if (canary && status === 'active') {
    return {
      kind: 'canary',
      at: null,
      by: null,
      latencyMs: null,
      notRevokedReason: null,
      summary:
        `This key is a canary${canary.label ? ` (planted in: ${canary.label})` : ''}: nobody should ever have it. ` +
        'It was not revoked, and every use is refused as if it did not exist; whoever has it reached the place it was planted in.',
    };
  }
  const revokedAt = input.key?.revokedAt ?? alert.revokedAt;
  const by = input.key?.revokedBy ?? null;
  if (status === 'revoked') {
    // Ours when the key store says so, or (an external store that does not say) when the alert timed our revocation.
    const ours = by === 'leak-detector' || (by === null && alert.revokeLatencyMs !== null);
    if (ours) {
      const latency = alert.revokeLatencyMs;
      const after = latency === null ? '' : ` (${formatDuration(latency)} after ${alert.pushedAt ? 'the push' : 'we heard of it'})`;
      return {
        kind: 'revoked',
        at: revokedAt,
        by: 'leak-detector',
        latencyMs: latency,
        notRevokedReason: null,
        summary: `We revoked the key automatically at ${formatTime(revokedAt)}${after}. Every request made with it since then is refused.`,
      };
    }
    return {
      kind: 'already_revoked',
      at: revokedAt,
      by,
      latencyMs: null,
      notRevokedReason: null,
      summary: `The key was already revoked${by ? ` (by ${by === 'owner' ? 'its owner' : by})` : ''} at ${formatTime(revokedAt)}, so it cannot be used.`,
    };
  }
  if (status === 'expired') {
    return {
      kind: 'expired',
      at: null,
      by: null,
      latencyMs: null,
      notRevokedReason: null,
      summary: 'The key had already expired, so it cannot be used. Nothing needed revoking.',
    };
  }
  const reason = input.policy === 'off' ? 'policy_off' : input.policy === 'public' ? 'private_only' : 'unknown';
  const why =
    reason === 'policy_off'
      ? 'automatic revocation is turned off on this deployment'
      : reason === 'private_only'
        ? 'it was found only in private places, and only keys found in public places are revoked automatically'
        : 'it could not be revoked automatically';
  return {
    kind: 'not_revoked',
    at: null,
    by: null,
    latencyMs: null,
    notRevokedReason: reason,
    summary: `The key was NOT revoked: ${why}. It still works, for anyone who can see the places below. Revoke it now.`,
  };
}

function summarizeUsage(since: string, buckets: UsageBucket[]): NonNullable<Notice['usage']> {
  const hourly = [...buckets].sort((a, b) => a.hour.localeCompare(b.hour));
  return {
    since,
    requests: hourly.reduce((sum, b) => sum + b.requests, 0),
    tokens: hourly.reduce((sum, b) => sum + b.tokens, 0),
    hourly,
  };
}

function canarySteps(key: Notice['key'], canary: NonNullable<Notice['canary']>, callers: Notice['callers']): Notice['nextSteps'] {
  const where = canary.label ? `"${canary.label}"` : 'the place it was planted';
  const seen = callers?.newAddresses.length ? ` The callers listed are where to start.` : '';
  return [
    {
      id: 'investigate_canary',
      title: 'Find out who reached the canary',
      text: `Canary "${key.name}" (${key.hint}) was planted in ${where}. Whoever used or published it could read that place: treat it as breached.${seen}`,
    },
    {
      id: 'rotate_neighbours',
      title: 'Replace the real secrets kept next to it',
      text: `Every real key and password stored in ${where} should be treated as exposed: revoke and replace them.`,
    },
    {
      id: 'keep_canary',
      title: 'Keep the canary where it is',
      text: 'It stays refused and keeps alerting: leave it in place to see whether it is used again.',
    },
  ];
}

/** "3 distinct addresses; 1 never seen before the exposure, first at … (2 h after the push)". */
export function describeCallers(callers: CallerEvidence): string {
  const fresh = callers.newAddresses.length + callers.newUserAgents.length;
  const parts = [`${formatCount(callers.distinctAddresses)} distinct ${callers.distinctAddresses === 1 ? 'address' : 'addresses'}`];
  if (fresh === 0) parts.push(`no address or user agent that had not used it in the ${callers.lookBackDays} days before`);
  else {
    const delay = callers.firstNewUseDelayMs === null ? '' : ` (${formatDuration(callers.firstNewUseDelayMs)} after the exposure)`;
    parts.push(
      `${callers.newAddresses.length} new ${callers.newAddresses.length === 1 ? 'address' : 'addresses'} and ${callers.newUserAgents.length} new user ` +
        `${callers.newUserAgents.length === 1 ? 'agent' : 'agents'} (unseen in the ${callers.lookBackDays} days before), first at ${formatTime(callers.firstNewUseAt)}${delay}`,
    );
  }
  return parts.join('; ');
}

function nextSteps(
  key: Notice['key'],
  action: Notice['action'],
  usage: Notice['usage'],
  callers: Notice['callers'],
  since: string,
  keysUrl: string | undefined,
): Notice['nextSteps'] {
  const steps: Notice['nextSteps'] = [];
  const where = keysUrl ? 'on your API keys page' : 'in the NeevCloud console (AI Inference > Security > API Keys)';
  const link = keysUrl ? { url: keysUrl } : {};
  if (action.kind === 'not_revoked') {
    steps.push({
      id: 'revoke_key',
      title: 'Revoke the key',
      text: `Revoke "${key.name}" (${key.hint}) ${where} now: until you do, anyone who saw it can use it.`,
      ...link,
    });
  }
  steps.push({
    id: 'create_key',
    title: 'Create a new key',
    text:
      `Replace "${key.name}" ${where}: once it is revoked, "Replace" issues a new key with the same name and rate limit ` +
      `(an administrator can run: neevscan keys replace ${key.id}). It is shown once: put it straight into your secret manager.`,
    ...link,
  });
  const failing =
    action.kind === 'revoked' || action.kind === 'already_revoked'
      ? ` The old key is refused since ${formatTime(action.at)}: they fail until they have the new one.`
      : '';
  steps.push({
    id: 'update_applications',
    title: 'Update the applications that used it',
    text: `Give every application, server and job that used "${key.name}" the new key, through a secret manager or server-side environment variables.${failing}`,
  });
  const seen = usage
    ? `Since ${formatTime(since)} (counted by the hour, from the hour of the push) it made ${formatCount(usage.requests)} ${usage.requests === 1 ? 'request' : 'requests'} using ${formatCount(usage.tokens)} tokens.`
    : 'Its usage could not be read just now: check it on the key’s usage page.';
  const who = callers ? ` Callers: ${describeCallers(callers)}.` : '';
  steps.push({
    id: 'review_usage',
    title: 'Review the key’s recent usage',
    text: `${seen}${who} If you do not recognise this usage, contact NeevCloud support.`,
  });
  steps.push({
    id: 'remove_copies',
    title: 'Remove the key from where it was found',
    text: 'Delete it from the places listed. A revoked key is harmless, but forks, mirrors and caches keep copies, so never reuse it.',
  });
  steps.push({
    id: 'store_keys_safely',
    title: 'Keep keys where only servers read them',
    text: `Keep keys in a secret manager or server-side environment variables. They must never live in ${NEVER_STORE_IN.join('; ')}.`,
  });
  return steps;
}

/** A place in words, with a commit link when it is a file at a commit. */
export function describePlace(location: Location): Place {
  const sourceLabel = SOURCE_LABELS[location.source] ?? location.source;
  const parts: string[] = [];
  // A commit message has no path: it is named by its commit.
  if (location.source === 'commit')
    parts.push(location.commit ? `the message of commit ${location.commit.slice(0, 12)}` : 'a commit message');
  // A path with no line and no `field` is one an alert stored before key-in-name places were marked.
  const { path, line } = locationRecord(location);
  if (path) parts.push(inFileName(location) ? `${path} (in the file name)` : line === null ? path : `${path}, line ${line}`);
  // A partner report has no line; every other place without a path may have one (a text's, a message's).
  else if (line !== null) parts.push(`line ${line}`);
  let title: string;
  if (location.source === 'canary-use') {
    const { clientIp, userAgent, endpoint } = location.caller;
    title = `Used from ${clientIp ?? 'an unreported address'}${userAgent ? `, user agent "${userAgent}"` : ''}${endpoint ? `, for ${endpoint}` : ''}`;
  } else if (location.source === 'partner') {
    // GitHub names neither the repository nor the line: only where it found the token.
    const found = location.partnerSource ? ` (${location.partnerSource})` : '';
    title = `Reported by GitHub secret scanning${found}`;
  } else if (location.repo) title = parts.length ? `${location.repo}: ${parts.join(', ')}` : `${location.repo} (${sourceLabel})`;
  else title = parts.length ? parts.join(', ') : sourceLabel;
  return { ...location, title, sourceLabel, commitUrl: commitUrl(location) };
}

/** `…/blob/<sha>/path#L3` → `…/commit/<sha>`: the link GitHub (or GHES) itself uses, so the host is right. */
function commitUrl(location: Location): string | null {
  if (!location.commit || !location.url) return null;
  if (location.source === 'commit') return location.url;
  const marker = `/blob/${location.commit}/`;
  const at = location.url.indexOf(marker);
  return at === -1 ? null : `${location.url.slice(0, at)}/commit/${location.commit}`;
}

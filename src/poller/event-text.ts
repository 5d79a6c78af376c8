/**
 * The text a public event carries (issue and pull request titles and bodies,
 * comments, release notes), scanned in the poller where it arrives: only the
 * keys found (hash, hint, place) go on, never the text.
 */
import { exposuresFromTextEvent, findingsInText, type TextEvent } from '../pipeline/text-events.js';
import type { Exposure } from '../pipeline/types.js';
import type { CompiledRule } from '../rules/types.js';
import type { FeedEvent } from './feed-reader.js';

/** Feed event types and the webhook events whose payload part they share. */
const AS_WEBHOOK: Record<string, TextEvent> = {
  IssuesEvent: 'issues',
  IssueCommentEvent: 'issue_comment',
  PullRequestEvent: 'pull_request',
  PullRequestReviewCommentEvent: 'pull_request_review_comment',
  CommitCommentEvent: 'commit_comment',
  DiscussionEvent: 'discussion',
  DiscussionCommentEvent: 'discussion_comment',
};

/** Release actions that bring new notes. */
const RELEASE_ACTIONS = new Set(['published', 'created', 'edited', 'released', 'prereleased']);

export function isTextFeedEvent(type: string): boolean {
  return type in AS_WEBHOOK || type === 'ReleaseEvent';
}

const str = (value: unknown): string | null => (typeof value === 'string' && value.length > 0 ? value : null);

/**
 * The keys in a text event's text, as exposures with source `public-events`.
 * Everything in the public feed is public, so the public policy applies.
 */
export function exposuresFromFeedEvent(event: FeedEvent, rules: readonly CompiledRule[], receivedAt: Date): Exposure[] {
  const repository = { full_name: event.repo.name, private: false };
  let exposures: Exposure[];
  if (event.type === 'ReleaseEvent') exposures = releaseExposures(event, rules, receivedAt);
  else {
    const webhook = AS_WEBHOOK[event.type];
    if (!webhook) return [];
    // The feed leaves `action` out of commit comments (there is only one: created).
    const action = event.payload.action ?? (webhook === 'commit_comment' ? 'created' : undefined);
    exposures = exposuresFromTextEvent(webhook, { ...event.payload, action, repository }, rules, receivedAt);
  }
  return exposures.map((e) => ({ ...e, public: true, location: { ...e.location, source: 'public-events' } }));
}

function releaseExposures(event: FeedEvent, rules: readonly CompiledRule[], receivedAt: Date): Exposure[] {
  const release = event.payload.release as Record<string, unknown> | null | undefined;
  const action = str(event.payload.action) ?? 'published';
  if (!release || typeof release !== 'object' || !RELEASE_ACTIONS.has(action)) return [];
  const seenAt = receivedAt.toISOString();
  return findingsInText([str(release.name), str(release.body)], rules).map((finding) => ({
    secretSha256: finding.secretSha256,
    redacted: finding.redacted,
    ruleId: finding.ruleId,
    location: { source: 'public-events', repo: event.repo.name, path: null, line: finding.line, commit: null, url: str(release.html_url), seenAt, ...(finding.allowed ? { allowMarker: true as const } : {}) },
    public: true,
    pushedAt: str(release.published_at) ?? str(release.created_at) ?? event.created_at,
    receivedAt: seenAt,
  }));
}

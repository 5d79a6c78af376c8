/**
 * The text a public event carries (issue and pull request titles and bodies,
 * comments, pull request reviews, release names and notes), scanned in the poller where it arrives: only the
 * keys found (hash, hint, place) go on, never the text.
 */
import { isoTime } from '../pipeline/payload-fields.js';
import { exposuresFromTextEvent, type TextEvent } from '../pipeline/text-events.js';
import type { Exposure } from '../core/exposure.js';
import type { CompiledRule } from '../rules/types.js';
import type { FeedEvent } from './feed-reader.js';

/** Feed event types and the webhook events whose payload part they share. */
const AS_WEBHOOK: Record<string, TextEvent> = {
  IssuesEvent: 'issues',
  IssueCommentEvent: 'issue_comment',
  PullRequestEvent: 'pull_request',
  PullRequestReviewEvent: 'pull_request_review',
  PullRequestReviewCommentEvent: 'pull_request_review_comment',
  CommitCommentEvent: 'commit_comment',
  DiscussionEvent: 'discussion',
  DiscussionCommentEvent: 'discussion_comment',
  ReleaseEvent: 'release',
};

/** The action a feed event leaves out when there is only one: a commit comment is created, a release published. */
const IMPLIED_ACTION: Partial<Record<TextEvent, string>> = { commit_comment: 'created', release: 'published' };
/** Feed actions named otherwise than the webhook's: the feed says a review was `created` (or `updated`), the webhook `submitted` (`edited`). */
const WEBHOOK_ACTION: Partial<Record<TextEvent, Record<string, string>>> = {
  pull_request_review: { created: 'submitted', updated: 'edited' },
};

export function isTextFeedEvent(type: string): boolean {
  return type in AS_WEBHOOK;
}

/**
 * The keys in a text event's text, as exposures with source `public-events`.
 * Everything in the public feed is public, so the public policy applies. The
 * text's own time comes first; the event's `created_at` stands in when the
 * item has none (both only when sane, see isoTime).
 */
export function exposuresFromFeedEvent(event: FeedEvent, rules: readonly CompiledRule[], receivedAt: Date): Exposure[] {
  const repository = { full_name: event.repo.name, private: false };
  const webhook = AS_WEBHOOK[event.type];
  if (!webhook) return [];
  const given = typeof event.payload.action === 'string' ? event.payload.action : IMPLIED_ACTION[webhook];
  const renamed = WEBHOOK_ACTION[webhook];
  const action = given !== undefined && renamed && Object.hasOwn(renamed, given) ? renamed[given] : given;
  const exposures = exposuresFromTextEvent(webhook, { ...event.payload, action, repository }, rules, receivedAt);
  const created = isoTime(event.created_at, receivedAt.getTime());
  return exposures.map((e) => ({
    ...e,
    public: true,
    pushedAt: e.pushedAt ?? created,
    location: { ...e.location, source: 'public-events' },
  }));
}

/**
 * What one public event asks for: a push to fetch and scan (a worker's job),
 * a repository made public to scan whole (a worker's job), text already
 * scanned here (the keys found, for the exposure queue), or nothing.
 */
import RE2 from 're2';
import { isoTime } from '../pipeline/payload-fields.js';
import type { PublicPushJob, PublicScanJob } from '../pipeline/public-events-queues.js';
import type { Exposure } from '../core/exposure.js';
import type { CompiledRule } from '../rules/types.js';
import { exposuresFromFeedEvent, isTextFeedEvent } from './event-text.js';
import type { FeedEvent } from './feed-reader.js';

export type EventWork =
  | { kind: 'push'; job: PublicPushJob }
  | { kind: 'scan'; job: PublicScanJob }
  | { kind: 'text'; exposures: Exposure[] }
  | { kind: 'ignored'; reason: string };

// RE2: the feed is anyone's input.
const SHA = new RE2('^[0-9a-f]{40}$');
const ZERO_SHA = '0'.repeat(40);
/** The feed listed at most 20 commits a push, when it listed them. */
const MAX_LISTED_COMMITS = 20;

export function routeEvent(event: FeedEvent, rules: readonly CompiledRule[], receivedAt: Date): EventWork {
  const [owner, repo] = event.repo.name.split('/') as [string, string];
  // The feed's time is outside input too: only a sane one is kept, else the time it was read.
  const times = {
    createdAt: isoTime(event.created_at, receivedAt.getTime()) ?? receivedAt.toISOString(),
    receivedAt: receivedAt.toISOString(),
  };
  if (event.type === 'PushEvent') return pushWork(event, owner, repo, times);
  if (event.type === 'PublicEvent') return { kind: 'scan', job: { eventId: event.id, owner, repo, ...times } };
  if (isTextFeedEvent(event.type)) return { kind: 'text', exposures: exposuresFromFeedEvent(event, rules, receivedAt) };
  return { kind: 'ignored', reason: `${event.type} carries nothing to scan` };
}

function pushWork(event: FeedEvent, owner: string, repo: string, times: { createdAt: string; receivedAt: string }): EventWork {
  const { ref, before, head } = event.payload;
  if (typeof ref !== 'string' || typeof before !== 'string' || typeof head !== 'string' || !SHA.test(before) || !SHA.test(head)) {
    return { kind: 'ignored', reason: 'PushEvent without ref, before and head' };
  }
  // Tags point at commits a branch push brought; a deleted branch adds nothing.
  if (!ref.startsWith('refs/heads/')) return { kind: 'ignored', reason: `not a branch push (${ref.slice(0, 100)})` };
  if (head === ZERO_SHA) return { kind: 'ignored', reason: 'branch deleted' };
  const listed = Array.isArray(event.payload.commits) ? event.payload.commits : [];
  const commitShas = listed
    .map((c) => (c && typeof c === 'object' ? (c as { sha?: unknown }).sha : undefined))
    .filter((sha): sha is string => typeof sha === 'string' && SHA.test(sha))
    .slice(0, MAX_LISTED_COMMITS);
  return { kind: 'push', job: { eventId: event.id, owner, repo, ref, before, head, commitShas, ...times } };
}

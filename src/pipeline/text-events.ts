import type { CompiledRule } from '../rules/types.js';
import type { Located } from '../scanner/finding.js';
import { scanBuffer } from '../scanner/scan-buffer.js';
import { isoTime } from './payload-fields.js';
import type { Exposure, TextLocation, TextSource } from '../core/exposure.js';

/** The events whose payloads carry text people paste keys into. */
export const TEXT_EVENTS = [
  'issues',
  'issue_comment',
  'pull_request',
  'pull_request_review',
  'pull_request_review_comment',
  'commit_comment',
  'discussion',
  'discussion_comment',
  'release',
] as const;
export type TextEvent = (typeof TEXT_EVENTS)[number];

export function isTextEvent(event: string): event is TextEvent {
  return (TEXT_EVENTS as readonly string[]).includes(event);
}

/**
 * At most this much of one text field is scanned. GitHub caps bodies at
 * 65,536 characters (up to 256 KB of UTF-8); the cap only bounds the work a
 * hostile, oversized payload can cause in the receiver.
 */
export const MAX_TEXT_BYTES = 1024 * 1024;

/** The part of a payload this module reads; everything is checked before use, since it is user input. */
interface Item {
  html_url?: unknown;
  title?: unknown;
  name?: unknown;
  body?: unknown;
  commit_id?: unknown;
  created_at?: unknown;
  updated_at?: unknown;
  /** Reviews. */
  submitted_at?: unknown;
  /** Releases. */
  published_at?: unknown;
  draft?: unknown;
}
interface TextPayload {
  action?: unknown;
  repository?: { full_name?: unknown; name?: unknown; owner?: { login?: unknown }; private?: unknown } | null;
  [item: string]: unknown;
}

interface Plan {
  source: TextSource;
  /** The payload field holding the item whose text arrived. */
  item: 'issue' | 'pull_request' | 'comment' | 'discussion' | 'review' | 'release';
  fields: ReadonlyArray<'title' | 'name' | 'body'>;
  /** The actions that bring new text; `edited` carries the new text in the item (the old one in `changes`, not scanned). */
  actions: readonly string[];
}

const PLANS: Record<TextEvent, Plan> = {
  issues: { source: 'issue', item: 'issue', fields: ['title', 'body'], actions: ['opened', 'edited'] },
  pull_request: { source: 'pull_request', item: 'pull_request', fields: ['title', 'body'], actions: ['opened', 'edited'] },
  issue_comment: { source: 'comment', item: 'comment', fields: ['body'], actions: ['created', 'edited'] },
  pull_request_review_comment: { source: 'comment', item: 'comment', fields: ['body'], actions: ['created', 'edited'] },
  commit_comment: { source: 'comment', item: 'comment', fields: ['body'], actions: ['created'] },
  discussion: { source: 'discussion', item: 'discussion', fields: ['title', 'body'], actions: ['created', 'edited'] },
  discussion_comment: { source: 'discussion', item: 'comment', fields: ['body'], actions: ['created', 'edited'] },
  // A review's body (its line comments arrive as pull_request_review_comment); `dismissed` brings no text.
  pull_request_review: { source: 'pull_request_review', item: 'review', fields: ['body'], actions: ['submitted', 'edited'] },
  // A release's name and notes; `deleted` and `unpublished` bring none.
  release: {
    source: 'release',
    item: 'release',
    fields: ['name', 'body'],
    actions: ['published', 'created', 'edited', 'prereleased', 'released'],
  },
};

const str = (value: unknown): string | null => (typeof value === 'string' && value.length > 0 ? value : null);

/**
 * The keys in the text an event delivers, as exposures (hashes, hints and
 * places only): the receiver scans here, where the text arrives, so that the
 * text itself is never queued. Actions that bring no new text (closed,
 * deleted, labeled…) yield none.
 */
export function exposuresFromTextEvent(
  event: string,
  payload: unknown,
  rules: readonly CompiledRule[],
  receivedAt: Date,
): Array<Exposure<TextLocation<TextSource>>> {
  if (!isTextEvent(event) || payload === null || typeof payload !== 'object') return [];
  const plan = PLANS[event];
  const p = payload as TextPayload;
  if (typeof p.action !== 'string' || !plan.actions.includes(p.action)) return [];
  const item = p[plan.item] as Item | null | undefined;
  const repository = p.repository;
  if (!item || typeof item !== 'object' || !repository) return [];
  const owner = str(repository.owner?.login);
  const repo = str(repository.full_name) ?? (owner && str(repository.name) ? `${owner}/${str(repository.name)}` : null);

  const seenAt = receivedAt.toISOString();
  const exposures: Array<Exposure<TextLocation<TextSource>>> = [];
  for (const finding of findingsInText(
    plan.fields.map((field) => str(item[field])),
    rules,
  )) {
    exposures.push({
      secretSha256: finding.secretSha256,
      redacted: finding.redacted,
      ruleId: finding.ruleId,
      location: {
        source: plan.source,
        repo,
        path: null,
        line: finding.line,
        commit: event === 'commit_comment' ? str(item.commit_id) : null,
        url: str(item.html_url),
        seenAt,
        ...(finding.allowed ? { allowMarker: true as const } : {}),
      },
      // Only a repository GitHub says is public makes the text public; anything unclear counts as private. A draft
      // release is seen only by those who can push, so it is not public either.
      public: repository.private === false && item.draft !== true,
      // When the text was posted, by GitHub's clock; only a sane time is kept (else latency runs from receipt).
      pushedAt: postedAt(item, receivedAt),
      receivedAt: seenAt,
    });
  }
  return exposures;
}

/** When GitHub says the text was posted, preferring its edit, then a review's submission, a release's publication, its creation. */
function postedAt(item: Item, receivedAt: Date): string | null {
  const now = receivedAt.getTime();
  return (
    isoTime(item.updated_at, now) ?? isoTime(item.submitted_at, now) ?? isoTime(item.published_at, now) ?? isoTime(item.created_at, now)
  );
}

/**
 * The keys in the fields of one piece of text (a title and a body, say), each
 * field cut at MAX_TEXT_BYTES; a key on the same line of two fields is one
 * place (text has no path). Keys marked `neevscan:allow` are kept (`allowed`
 * says so): the marker is the writer's to add, and the service acts on a live
 * key whatever stands beside it.
 */
export function findingsInText(fields: ReadonlyArray<string | null>, rules: readonly CompiledRule[]): Located[] {
  const found: Located[] = [];
  const seen = new Set<string>();
  for (const text of fields) {
    if (text === null || text.length === 0) continue;
    const bytes = Buffer.from(text, 'utf8');
    for (const finding of scanBuffer(bytes.length > MAX_TEXT_BYTES ? bytes.subarray(0, MAX_TEXT_BYTES) : bytes, rules)) {
      if (seen.has(`${finding.secretSha256}:${finding.line}`)) continue;
      seen.add(`${finding.secretSha256}:${finding.line}`);
      found.push(finding);
    }
  }
  return found;
}

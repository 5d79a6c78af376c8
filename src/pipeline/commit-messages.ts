/**
 * Commit messages, scanned where they arrive: in the push delivery, which
 * lists up to 20 commits with their messages (the receiver's push handler,
 * webhooks/push.ts, reads them there). The push job carries SHAs only
 * (job data sits in clear in Redis), so a message is scanned here and only
 * what was found (hash, hint, commit, link) is queued, like the text of an
 * issue. Commits past the 20 listed are scanned by the push worker, from the
 * commit objects it fetches anyway.
 */
import type { CompiledRule } from '../rules/types.js';
import { isoTime, list, obj, str } from './payload-fields.js';
import { findingsInText } from './text-events.js';
import type { Exposure, Source } from '../core/exposure.js';

/** A commit SHA: SHA-1, or SHA-256 in a repository that uses it. */
const SHA = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

/** Where the commits were pushed and when: what turns a finding in a message into an exposure. */
export interface MessageContext {
  /** `commit` (the default); the public events feed reports every place it saw as `public-events`. */
  source?: Extract<Source, 'commit' | 'public-events'>;
  /** `owner/name`, when known. */
  repo: string | null;
  /** The repository's web address (github.com or a GHES host), for the link to the commit. */
  htmlUrl: string | null;
  public: boolean;
  pushedAt: string | null;
  receivedAt: string;
}

/** One commit's message, by its SHA (null when the payload's id is not a SHA: the key is still reported). */
export interface CommitMessage {
  sha: string | null;
  message: string;
  /** The commit's own time, by its committer's clock, when sane. */
  committedAt: string | null;
}

/** The messages a push payload lists (`commits[]`, and `head_commit`), each commit once. */
export function listedMessages(payload: { commits?: unknown; head_commit?: unknown }, receivedAt: Date): CommitMessage[] {
  const out: CommitMessage[] = [];
  const seen = new Set<string>();
  for (const entry of [...list(payload.commits), payload.head_commit]) {
    const commit = obj<{ id?: unknown; message?: unknown; timestamp?: unknown }>(entry);
    const message = str(commit?.message);
    if (!commit || !message) continue;
    const id = str(commit.id);
    const sha = id !== undefined && SHA.test(id) ? id : null;
    // The head commit is usually the last one listed too; the same message under the same id is one place.
    const identity = `${sha ?? ''}\u0000${message}`;
    if (seen.has(identity)) continue;
    seen.add(identity);
    out.push({ sha, message, committedAt: isoTime(commit.timestamp, receivedAt.getTime()) });
  }
  return out;
}

/** The keys in commit messages, as exposures with source `commit`: the commit's SHA and its link, the line in the message. */
export function commitMessageExposures(
  messages: readonly CommitMessage[],
  context: MessageContext,
  rules: readonly CompiledRule[],
): Exposure[] {
  const exposures: Exposure[] = [];
  for (const { sha, message, committedAt } of messages) {
    for (const finding of findingsInText([message], rules)) {
      exposures.push({
        secretSha256: finding.secretSha256,
        redacted: finding.redacted,
        ruleId: finding.ruleId,
        location: {
          source: context.source ?? 'commit',
          repo: context.repo,
          path: null,
          line: finding.line,
          commit: sha,
          url: sha === null || context.htmlUrl === null ? null : `${context.htmlUrl}/commit/${sha}`,
          seenAt: context.receivedAt,
        },
        public: context.public,
        pushedAt: context.pushedAt,
        ...(committedAt ? { committedAt } : {}),
        receivedAt: context.receivedAt,
      });
    }
  }
  return exposures;
}

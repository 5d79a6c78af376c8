import type { EmitterWebhookEvent } from '@octokit/webhooks';
import type { Exposure } from '../core/exposure.js';
import { WIKI_QUEUE } from '../core/queue-names.js';
import type { CompiledRule } from '../rules/types.js';
import { list, obj, str as field } from '../pipeline/payload-fields.js';
import { findingsInText } from '../pipeline/text-events.js';
import type { WikiJob } from '../pipeline/wiki-job.js';
import { exposureJobs, type DeliveryContext, type Planned } from './planned.js';

/**
 * `gollum` (wiki pages created or edited): a job fetching the page commits,
 * after the keys found in the pages' titles, names and edit summaries (a
 * retried delivery re-adds neither, both being keyed by the delivery).
 */
export function planWiki(event: EmitterWebhookEvent<'gollum'>, { deliveryId, receivedAt, rules }: DeliveryContext): Planned {
  const planned = wikiJobFrom(event.payload, deliveryId, receivedAt, rules);
  if ('ignored' in planned) return planned;
  return {
    jobs: [...exposureJobs(planned.exposures, deliveryId), { queue: WIKI_QUEUE, data: planned.job, jobId: deliveryId }],
    counts: { pages: planned.job.pages.length, exposures: planned.exposures.length },
  };
}

interface GollumPayload {
  pages?: unknown;
  repository?: {
    name?: unknown;
    full_name?: unknown;
    owner?: { login?: unknown } | null;
    private?: unknown;
    clone_url?: unknown;
    html_url?: unknown;
  } | null;
  installation?: { id?: unknown } | null;
}
interface GollumPage {
  page_name?: unknown;
  title?: unknown;
  summary?: unknown;
  sha?: unknown;
  html_url?: unknown;
}

const str = (value: unknown): string | null => field(value) ?? null;
const SHA = /^[0-9a-f]{40}$/;
/** GitHub lists a handful of pages per delivery; more is not a real edit. */
const MAX_PAGES = 100;

/**
 * What a `gollum` delivery becomes: a job fetching the page commits, and the
 * keys its own text carries (page titles, names and edit summaries), found
 * here so that text is never queued. A page whose name holds a key is linked
 * through the wiki's front page, so the key is not carried in a URL.
 */
export function wikiJobFrom(
  payload: GollumPayload,
  deliveryId: string,
  receivedAt: Date,
  rules: readonly CompiledRule[],
): { job: WikiJob; exposures: Exposure[] } | { ignored: string } {
  const repository = obj(payload.repository);
  const fullName = str(repository?.full_name);
  const [owner, repo] = fullName?.split('/') ?? [str(obj(repository?.owner)?.login), str(repository?.name)];
  const cloneUrl = str(repository?.clone_url);
  const htmlUrl = str(repository?.html_url);
  if (!repository || !owner || !repo || !cloneUrl || !htmlUrl) return { ignored: 'not a gollum payload (no repository)' };
  const id = obj(payload.installation)?.id;
  const installationId = Number.isSafeInteger(id) ? (id as number) : null;
  // Only a repository GitHub says is public is read without a token.
  const isPrivate = repository.private !== false;
  if (isPrivate && installationId === null) return { ignored: 'a private wiki, and no App installation to read it' };

  const seenAt = receivedAt.toISOString();
  const wikiHome = `${htmlUrl}/wiki`;
  const pages: WikiJob['pages'] = [];
  const exposures: Exposure[] = [];
  for (const page of list(payload.pages)
    .slice(0, MAX_PAGES)
    .flatMap((p) => obj<GollumPage>(p) ?? [])) {
    const url = str(page.html_url);
    const inName = findingsInText([str(page.page_name), url], rules).length > 0;
    const link = url && !inName ? url : wikiHome;
    for (const finding of findingsInText([str(page.title), str(page.page_name), str(page.summary)], rules)) {
      exposures.push({
        secretSha256: finding.secretSha256,
        redacted: finding.redacted,
        ruleId: finding.ruleId,
        location: {
          source: 'wiki',
          repo: `${owner}/${repo}`,
          path: null,
          line: null,
          commit: null,
          url: link,
          seenAt,
          ...(finding.allowed ? { allowMarker: true as const } : {}),
        },
        public: !isPrivate,
        pushedAt: null,
        receivedAt: seenAt,
      });
    }
    const sha = str(page.sha);
    if (sha && SHA.test(sha)) pages.push({ sha, url: link });
  }
  if (pages.length === 0 && exposures.length === 0) return { ignored: 'no wiki page commits' };
  return {
    job: { deliveryId, installationId, owner, repo, cloneUrl, htmlUrl, private: isPrivate, pages, receivedAt: seenAt },
    exposures,
  };
}

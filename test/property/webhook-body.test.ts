/**
 * Fuzzing POST /webhooks/github with bodies that carry a valid signature:
 * random bytes, random JSON, and GitHub's own example payloads with random
 * parts swapped for random values. Whatever arrives, the receiver answers
 * 2xx or 4xx (never 5xx, never a crash), and what it queues is well-typed.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { webhookExamples } from '../helpers/webhook-examples.js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PUSH_QUEUE, EXPOSURE_QUEUE, REPO_SCAN_QUEUE, WIKI_QUEUE } from '../../src/core/queue-names.js';
import type { ExposureJob, PushJob, RepoScanJob } from '../../src/pipeline/queues.js';
import type { WikiJob } from '../../src/pipeline/wiki-job.js';
import { enqueueTo, startServer, type TestServer } from '../helpers/server.js';

const SECRET = 'property-webhook-secret';
const RUNS = 150;

const HANDLED = [
  'push',
  'gollum',
  'installation',
  'installation_repositories',
  'public',
  'issues',
  'issue_comment',
  'pull_request',
  'pull_request_review',
  'pull_request_review_comment',
  'commit_comment',
  'discussion',
  'discussion_comment',
  'release',
  'ping',
];
const byName = new Map((webhookExamples as Array<{ name: string; examples: unknown[] }>).map((e) => [e.name, e.examples]));

const queued = { pushes: [] as PushJob[], exposures: [] as ExposureJob[], scans: [] as RepoScanJob[], wikis: [] as WikiJob[] };
let t: TestServer;

beforeAll(async () => {
  t = await startServer(
    { GITHUB_WEBHOOK_SECRET: SECRET },
    {
      enqueue: enqueueTo({
        [PUSH_QUEUE]: async (jobs) => void queued.pushes.push(...jobs.map((job) => job.data as PushJob)),
        [EXPOSURE_QUEUE]: async (jobs) => void queued.exposures.push(...jobs.map((job) => job.data as ExposureJob)),
        [REPO_SCAN_QUEUE]: async (jobs) => void queued.scans.push(...jobs.map((job) => job.data as RepoScanJob)),
        [WIKI_QUEUE]: async (jobs) => void queued.wikis.push(...jobs.map((job) => job.data as WikiJob)),
      }),
    },
  );
});
afterAll(async () => {
  await t.close();
});

async function post(event: string, body: Buffer): Promise<number> {
  const signature = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
  const res = await fetch(`${t.url}/webhooks/github`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': event,
      'x-github-delivery': randomUUID(),
      'x-hub-signature-256': signature,
    },
    body,
  });
  await res.arrayBuffer();
  return res.status;
}

const event = fc.oneof(
  fc.constantFrom(...HANDLED),
  fc.string({ maxLength: 20 }).filter((s) => /^[\x21-\x7e]+$/.test(s)),
);

/** Every path into a JSON value, as key lists. */
function paths(
  value: unknown,
  prefix: Array<string | number> = [],
  out: Array<Array<string | number>> = [],
  depth = 0,
): Array<Array<string | number>> {
  out.push(prefix);
  if (depth > 6 || value === null || typeof value !== 'object') return out;
  for (const [k, v] of Object.entries(value)) paths(v, [...prefix, Array.isArray(value) ? Number(k) : k], out, depth + 1);
  return out;
}

function setAt(root: unknown, path: Array<string | number>, replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  if (root === null || typeof root !== 'object') return root;
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let node = copy;
  for (const step of path.slice(0, -1)) {
    const next = node[step];
    // An earlier edit replaced this part already: leave it as it is.
    if (next === null || typeof next !== 'object') return copy;
    node = next as Record<string | number, unknown>;
  }
  node[path.at(-1)!] = replacement;
  return copy;
}

/** A GitHub example of a handled event, with up to four of its parts replaced by random JSON (wrong types, nulls, huge numbers…). */
const mutatedExample = fc
  .constantFrom(...HANDLED.filter((name) => byName.has(name)))
  .chain((name) => fc.tuple(fc.constant(name), fc.constantFrom(...byName.get(name)!)))
  .chain(([name, example]) => {
    const all = paths(example);
    const oddValue = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.constantFrom(null, [], {}, [null], '', 0, -1, 1e308, true, 'refs/heads/x', '0'.repeat(40)),
    );
    return fc.tuple(
      fc.constant(name),
      fc.constant(example),
      fc.array(fc.tuple(fc.constantFrom(...all), oddValue), { minLength: 1, maxLength: 4 }),
    );
  })
  .map(([name, example, edits]) => ({ name, payload: edits.reduce((doc, [path, value]) => setAt(doc, path, value), example) }));

const isString = (v: unknown) => typeof v === 'string';

describe('property: POST /webhooks/github with a valid signature', () => {
  it('random bytes: 2xx or 4xx, never 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(event, fc.uint8Array({ maxLength: 2000 }), async (name, bytes) => {
        const status = await post(name, Buffer.from(bytes));
        expect(status).toBeGreaterThanOrEqual(200);
        expect(status).toBeLessThan(500);
      }),
      { numRuns: RUNS },
    );
  });

  it('random JSON: 2xx or 4xx, never 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(event, fc.json({ maxDepth: 4 }), async (name, json) => {
        const status = await post(name, Buffer.from(json));
        expect(status).toBeGreaterThanOrEqual(200);
        expect(status).toBeLessThan(500);
      }),
      { numRuns: RUNS },
    );
  });

  it("GitHub's examples with random parts swapped for random values: 2xx or 4xx, and only well-typed jobs are queued", async () => {
    await fc.assert(
      fc.asyncProperty(mutatedExample, async ({ name, payload }) => {
        const status = await post(name, Buffer.from(JSON.stringify(payload)));
        expect(status, `${name}: ${JSON.stringify(payload).slice(0, 300)}`).toBeGreaterThanOrEqual(200);
        expect(status, `${name}: ${JSON.stringify(payload).slice(0, 300)}`).toBeLessThan(500);
      }),
      { numRuns: RUNS * 2 },
    );
    // Workers trust what the receiver queued: every field has its declared type.
    for (const job of queued.pushes) {
      expect(
        [job.owner, job.repo, job.ref, job.before, job.after, job.htmlUrl, job.defaultBranch].every(isString),
        JSON.stringify(job),
      ).toBe(true);
      expect(job.installationId === null || Number.isInteger(job.installationId)).toBe(true);
      expect(job.pushedAt === null || isString(job.pushedAt)).toBe(true);
      expect(job.committedAt == null || isString(job.committedAt)).toBe(true);
      expect(job.commitShas.every(isString)).toBe(true);
    }
    for (const job of queued.scans)
      expect([job.owner, job.repo].every(isString) && Number.isInteger(job.installationId), JSON.stringify(job)).toBe(true);
    for (const job of queued.wikis)
      expect([job.owner, job.repo, job.cloneUrl, job.htmlUrl].every(isString), JSON.stringify(job)).toBe(true);
    for (const { exposure } of queued.exposures) {
      expect(exposure.location.repo === null || isString(exposure.location.repo)).toBe(true);
      expect(exposure.pushedAt === null || isString(exposure.pushedAt)).toBe(true);
      expect(exposure.location.commit === null || isString(exposure.location.commit)).toBe(true);
    }
  });
});

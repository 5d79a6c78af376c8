/** POST /repos/{owner}/{repo}/check-runs and PATCH …/check-runs/{id}: validated as GitHub does, recorded for assertions. */
import type { RepoCtx } from './context.js';
import { resolveCommit } from './git.js';
import { HttpError, isoSeconds, notFound, validationFailed, type Reply } from './http.js';
import { repoApiUrl, repoHtmlUrl } from './repos.js';

/** "The Checks API limits the number of annotations to a maximum of 50 per API request" (checks/runs, annotations object). */
export const MAX_ANNOTATIONS = 50;
/** Maximum length of `output.summary` and `output.text` (same page). */
const MAX_TEXT = 65_535;
const STATUSES = ['queued', 'in_progress', 'completed', 'waiting', 'requested', 'pending'];
const CONCLUSIONS = ['action_required', 'cancelled', 'failure', 'neutral', 'success', 'skipped', 'stale', 'timed_out'];
const LEVELS = ['notice', 'warning', 'failure'];

export interface Annotation {
  path: string;
  start_line: number;
  end_line: number;
  annotation_level: string;
  message: string;
  [field: string]: unknown;
}

/** A check run as the test sees it: every field sent so far, annotations appended across updates. */
export interface CheckRunRecord {
  id: number;
  owner: string;
  repo: string;
  name: string;
  head_sha: string;
  status: string;
  conclusion: string | null;
  details_url: string | null;
  external_id: string | null;
  started_at: string;
  completed_at: string | null;
  output: { title: string | null; summary: string | null; text: string | null; annotations: Annotation[] };
  /** How many create/update requests shaped it. */
  requests: number;
}

export class CheckRuns {
  readonly all: CheckRunRecord[] = [];
  private nextId = 4_000_000;

  async create(ctx: RepoCtx): Promise<Reply> {
    const body = asObject(ctx.body);
    if (typeof body.name !== 'string' || !body.name) throw validationFailed('CheckRun', 'name', 'missing_field');
    if (typeof body.head_sha !== 'string' || !body.head_sha) throw validationFailed('CheckRun', 'head_sha', 'missing_field');
    const sha = await resolveCommit(ctx.repo.path, body.head_sha);
    if (!sha) throw new HttpError(422, `No commit found for SHA: ${body.head_sha}`);
    const run: CheckRunRecord = {
      id: this.nextId++,
      owner: ctx.repo.owner,
      repo: ctx.repo.name,
      name: body.name,
      head_sha: sha,
      status: 'queued',
      conclusion: null,
      details_url: null,
      external_id: null,
      started_at: isoSeconds(Date.now()),
      completed_at: null,
      output: { title: null, summary: null, text: null, annotations: [] },
      requests: 0,
    };
    apply(run, body);
    this.all.push(run);
    return { status: 201, body: runJson(ctx, run) };
  }

  update(ctx: RepoCtx): Reply {
    const run = this.all.find((r) => String(r.id) === ctx.params.id && r.owner === ctx.repo.owner && r.repo === ctx.repo.name);
    if (!run) throw notFound();
    apply(run, asObject(ctx.body));
    return { status: 200, body: runJson(ctx, run) };
  }
}

function asObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'Problems parsing JSON');
  return body as Record<string, unknown>;
}

/** Validates everything first, then changes the record, so a refused request changes nothing. */
function apply(run: CheckRunRecord, body: Record<string, unknown>): void {
  const { status, conclusion, output } = body;
  if (status !== undefined && !STATUSES.includes(status as string)) throw validationFailed('CheckRun', 'status', 'invalid');
  if (conclusion !== undefined && conclusion !== null && !CONCLUSIONS.includes(conclusion as string)) {
    throw validationFailed('CheckRun', 'conclusion', 'invalid');
  }
  if (status === 'completed' && !conclusion && !run.conclusion) {
    throw validationFailed('CheckRun', 'conclusion', 'missing_field', 'conclusion is required when status is completed');
  }
  let annotations: Annotation[] = [];
  if (output !== undefined) {
    const o = asObject(output);
    if (typeof o.title !== 'string' || typeof o.summary !== 'string')
      throw validationFailed('CheckRun', 'output', 'missing_field', 'output needs title and summary');
    if (o.summary.length > MAX_TEXT || (typeof o.text === 'string' && o.text.length > MAX_TEXT)) {
      throw validationFailed('CheckRun', 'output', 'invalid', `summary and text are limited to ${MAX_TEXT} characters`);
    }
    annotations = readAnnotations(o.annotations);
  }
  run.requests++;
  if (typeof body.name === 'string') run.name = body.name;
  if (typeof body.details_url === 'string') run.details_url = body.details_url;
  if (typeof body.external_id === 'string') run.external_id = body.external_id;
  if (typeof body.started_at === 'string') run.started_at = body.started_at;
  if (status !== undefined) run.status = status as string;
  // Sending a conclusion completes the run, as on GitHub.
  if (conclusion) {
    run.conclusion = conclusion as string;
    run.status = 'completed';
  }
  if (run.status === 'completed' && !run.completed_at)
    run.completed_at = typeof body.completed_at === 'string' ? body.completed_at : isoSeconds(Date.now());
  if (output !== undefined) {
    const o = output as Record<string, unknown>;
    run.output.title = o.title as string;
    run.output.summary = o.summary as string;
    if (typeof o.text === 'string') run.output.text = o.text;
    // "Each time you update the check run, annotations are appended to the list of annotations that already exist."
    run.output.annotations.push(...annotations);
  }
}

function readAnnotations(value: unknown): Annotation[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw validationFailed('CheckRun', 'output.annotations', 'invalid');
  if (value.length > MAX_ANNOTATIONS) {
    throw validationFailed(
      'CheckRun',
      'output.annotations',
      'invalid',
      `at most ${MAX_ANNOTATIONS} annotations per request; send the rest in updates`,
    );
  }
  for (const a of value as Annotation[]) {
    const ok =
      typeof a === 'object' &&
      a !== null &&
      typeof a.path === 'string' &&
      Number.isInteger(a.start_line) &&
      Number.isInteger(a.end_line) &&
      LEVELS.includes(a.annotation_level) &&
      typeof a.message === 'string';
    if (!ok)
      throw validationFailed(
        'CheckRun',
        'output.annotations',
        'invalid',
        'each annotation needs path, start_line, end_line, annotation_level and message',
      );
  }
  return value as Annotation[];
}

function runJson(ctx: RepoCtx, run: CheckRunRecord): Record<string, unknown> {
  const api = repoApiUrl(ctx.repo, ctx.urls);
  const app =
    ctx.credential.kind === 'installation' ? { id: ctx.credential.appId, slug: 'neevscan-test-app', name: 'neevscan test app' } : null;
  return {
    id: run.id,
    head_sha: run.head_sha,
    node_id: Buffer.from(`04:CheckRun${run.id}`).toString('base64'),
    external_id: run.external_id,
    url: `${api}/check-runs/${run.id}`,
    html_url: `${repoHtmlUrl(ctx.repo, ctx.urls)}/runs/${run.id}`,
    details_url: run.details_url,
    status: run.status,
    conclusion: run.conclusion,
    started_at: run.started_at,
    completed_at: run.completed_at,
    output: {
      title: run.output.title,
      summary: run.output.summary,
      text: run.output.text,
      annotations_count: run.output.annotations.length,
      annotations_url: `${api}/check-runs/${run.id}/annotations`,
    },
    name: run.name,
    check_suite: { id: 5_000_000 + run.id },
    app,
    pull_requests: [],
  };
}

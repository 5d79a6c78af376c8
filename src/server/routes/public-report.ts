import { randomUUID } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import type { RedisClient } from '../../stores/redis.js';
import type { Exposure, RevokePolicy } from '../../core/exposure.js';
import { KEY_LENGTH, KEY_PREFIX, isValidKey, keyHint, sha256Hex } from '../../key-format/key.js';
import { reportMetrics } from '../../metrics/report-metrics.js';
import type { ExposureJob } from '../../pipeline/queues.js';
import { isHttpUrl } from '../../util/text.js';
import { limitBodiesInFlight, type BodyBudget } from '../body-budget.js';
import { clientKey } from '../client-key.js';
import { ApiError } from '../errors.js';

export const REPORT_PATH = '/api/v1/public/report';
/** Reports one request may carry. */
export const MAX_REPORTS = 1000;
/** A reported URL, before and after normalising (percent-encoding can lengthen it). */
export const MAX_REPORT_URL = 2048;
/** A key field longer than this is no key of ours, and not a shape we read. */
const MAX_KEY_FIELD = 1024;
/** 1,000 reports of the longest URL and key field are about 3.1 MB of JSON: 4 MB, as the partner endpoint, holds them. */
export const REPORT_BODY_LIMIT = 4 * 1024 * 1024;
/** Requests one client address (an IPv6 /64) may make per window; a batch is one request. */
export const REPORT_RATE_LIMIT = { max: 10, windowSeconds: 60 };
/** The whole answer, whatever the keys were (with the count of reports the body held). */
const ANSWER = { status: 'received', message: 'Thank you. Every report is checked; the answer is the same whatever the keys were.' };

export interface PublicReportOptions {
  redis: RedisClient;
  redisPrefix: string;
  /** Bytes of unauthenticated bodies being received at once, shared with the webhook and partner endpoints. */
  bodyBudget: BodyBudget;
  /** The exposure queue (confirm → revoke → alert → notify happen in its worker, after the answer). */
  enqueueExposures: (jobs: ExposureJob[]) => Promise<void>;
  /** REPORT_REVOKE_POLICY as a revoke policy: `all` (revoke) or `off` (alert only; also when REVOKE_POLICY=off). */
  policy: RevokePolicy;
  now?: () => Date;
}

interface Report {
  key: string;
  url: string;
}

/**
 * POST /api/v1/public/report: anyone may tell us where a NeevCloud key is
 * exposed, with no token. The body is `{key, url}` or `{reports: [{key, url}, …]}`
 * (up to MAX_REPORTS). Each key is checked with the key format here, hashed at
 * once, and queued as an exposure of source `report` at the reported URL; the
 * exposure worker confirms, revokes (REPORT_REVOKE_POLICY), records the alert
 * and notifies the owner. The answer is 202 with the same body whatever the
 * keys were, given after queueing and before any key store lookup, so neither
 * its content nor its timing says whether a key is live. The raw key is never
 * queued, logged or stored.
 */
export function publicReportRoutes(app: FastifyInstance, options: PublicReportOptions): void {
  void app.register(async (scope) => {
    await scope.register(rateLimit, {
      global: false,
      redis: options.redis,
      nameSpace: `${options.redisPrefix}{rl}:report:`,
      keyGenerator: (request) => clientKey(request.ip),
      errorResponseBuilder: (_request, context) =>
        new ApiError(429, 'rate_limited', `Too many reports from your address; try again in ${context.after}.`),
    });
    limitBodiesInFlight(scope, options.bodyBudget, REPORT_BODY_LIMIT);

    scope.post(
      REPORT_PATH,
      {
        bodyLimit: REPORT_BODY_LIMIT,
        config: { rateLimit: { max: REPORT_RATE_LIMIT.max, timeWindow: REPORT_RATE_LIMIT.windowSeconds * 1000 } },
        schema: {
          summary: 'Report an exposed NeevCloud API key (no token)',
          description:
            'Body: `{"key", "url"}` or `{"reports": [{"key", "url"}, …]}` (1 to 1,000). Always 202 with the same body: the answer never says whether a key was live. See docs/reporting-keys.md.',
          tags: ['public'],
        },
      },
      async (request, reply) => {
        const reports = parseReports(request.body);
        const receivedAt = (options.now ?? (() => new Date()))().toISOString();
        const deliveryId = `report-${randomUUID()}`;
        const jobs: ExposureJob[] = [];
        const seen = new Set<string>();
        let invalid = 0;
        for (const report of reports) {
          if (!isValidKey(report.key)) {
            invalid++;
            continue;
          }
          const secretSha256 = sha256Hex(report.key);
          const place = `${secretSha256} ${report.url}`;
          if (seen.has(place)) continue;
          seen.add(place);
          jobs.push({
            deliveryId,
            exposure: reportedExposure(secretSha256, keyHint(report.key), report.url, receivedAt),
            policy: options.policy,
          });
        }
        if (invalid > 0) reportMetrics.reports().inc({ outcome: 'invalid' }, invalid);
        if (jobs.length > 0) {
          try {
            await options.enqueueExposures(jobs);
          } catch {
            // Redis away: nothing was taken on, so the reporter is told to send it again.
            throw new ApiError(503, 'unavailable', 'reports cannot be taken now; retry shortly');
          }
        }
        return reply.code(202).send({ ...ANSWER, reports: reports.length });
      },
    );
  });
}

function reportedExposure(secretSha256: string, redacted: string, url: string, receivedAt: string): Exposure {
  return {
    secretSha256,
    redacted,
    ruleId: 'neevcloud-api-key',
    location: { source: 'report', repo: null, path: null, line: null, commit: null, url, seenAt: receivedAt },
    // Reported as found where anyone could read it.
    public: true,
    pushedAt: null,
    receivedAt,
  };
}

const bad = (message: string) => new ApiError(400, 'bad_request', message);

/** The body's reports, keys trimmed and URLs normalised; anything else is a 400 naming what is wrong. */
export function parseReports(body: unknown): Report[] {
  if (!isObject(body)) throw bad('the body must be a JSON object: {"key", "url"} or {"reports": [{"key", "url"}, …]}');
  if ('reports' in body) {
    if (Object.keys(body).length !== 1) throw bad('a batch holds only "reports"');
    const list = body.reports;
    if (!Array.isArray(list) || list.length === 0) throw bad('"reports" must be a non-empty array of {"key", "url"}');
    if (list.length > MAX_REPORTS) throw bad(`"reports" holds ${list.length} items; at most ${MAX_REPORTS} per request`);
    return list.map((item, i) => parseReport(item, `reports[${i}]`));
  }
  return [parseReport(body, 'the body')];
}

function parseReport(value: unknown, where: string): Report {
  if (!isObject(value)) throw bad(`${where} must be an object {"key", "url"}`);
  const extra = Object.keys(value).find((name) => name !== 'key' && name !== 'url');
  if (extra !== undefined) throw bad(`${where} has a field other than "key" and "url"`);
  const { key, url } = value;
  if (typeof key !== 'string' || key.trim() === '' || key.length > MAX_KEY_FIELD)
    throw bad(`${where}.key must be a string of 1 to ${MAX_KEY_FIELD} characters`);
  if (typeof url !== 'string' || url.length > MAX_REPORT_URL || !isHttpUrl(url))
    throw bad(`${where}.url must be an http(s) URL of at most ${MAX_REPORT_URL} characters`);
  const parsed = new URL(url);
  if (parsed.username !== '' || parsed.password !== '') throw bad(`${where}.url must not carry a user name or password`);
  if (parsed.href.length > MAX_REPORT_URL) throw bad(`${where}.url must be an http(s) URL of at most ${MAX_REPORT_URL} characters`);
  return { key: key.trim(), url: hideKeys(parsed.href) };
}

/**
 * The URL with every NeevCloud key in it replaced by its hint: a search link
 * (`?q=neev_…`) would otherwise carry a key into the queue, the alert, the
 * notice and the log. No key character is ever percent-encoded, so the
 * normalised URL holds a key as typed.
 */
export function hideKeys(url: string): string {
  let out = '';
  let from = 0;
  for (let at = url.indexOf(KEY_PREFIX); at !== -1; at = url.indexOf(KEY_PREFIX, at + 1)) {
    const candidate = url.slice(at, at + KEY_LENGTH);
    if (at < from || !isValidKey(candidate)) continue;
    out += url.slice(from, at) + keyHint(candidate);
    from = at + KEY_LENGTH;
  }
  return out + url.slice(from);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

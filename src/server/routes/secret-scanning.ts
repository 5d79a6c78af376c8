import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SecretScanningKeysUnavailableError, type SecretScanningKeys } from '../../github/secret-scanning-keys.js';
import { parsePartnerMatches } from '../../github/secret-scanning-payload.js';
import { histogram } from '../../metrics/registry.js';
import type { HandleExposureDeps } from '../../pipeline/handle-exposure.js';
import { handlePartnerMatches } from '../../pipeline/partner-alerts.js';
import { limitBodiesInFlight, type BodyBudget } from '../body-budget.js';

/**
 * A batch of matches: each is a token, its type, a URL and a source, about 200 bytes, so a 1,000-match batch is about
 * 200 KB. 4 MB (some 20,000 matches, about 4 s of work) leaves a wide margin; a batch over it is refused (413).
 */
export const PARTNER_BODY_LIMIT = 4 * 1024 * 1024;

export interface SecretScanningOptions {
  keys: SecretScanningKeys;
  /** Bytes of unverified bodies being received at once, shared with the webhook endpoint. */
  bodyBudget: BodyBudget;
  /** confirm → revoke → alert, with the policy already forced (every partner token is public). */
  exposureDeps: HandleExposureDeps;
  now?: () => Date;
}

const fail = (code: string, message: string) => ({ error: { code, message } });

const durationHistogram = () =>
  histogram<'status'>({
    name: 'neevscan_partner_request_duration_seconds',
    help: 'Time to answer a GitHub Secret Scanning partner alert request, by HTTP status.',
    labelNames: ['status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
  });

/**
 * POST /github/secret-scanning: GitHub's Secret Scanning partner alerts.
 * The ECDSA signature is checked over the raw bytes before anything is
 * parsed; a request that is unsigned, badly signed or unparseable is refused
 * and changes nothing. A verified batch is confirmed, revoked and recorded
 * here (GitHub waits up to 30 s) and answered with GitHub's feedback format.
 */
export function secretScanningRoutes(app: FastifyInstance, options: SecretScanningOptions): void {
  void app.register(async (scope) => {
    // The signature covers the exact bytes GitHub sent, so this route reads its body raw, whatever the content type.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: PARTNER_BODY_LIMIT }, (_request, body, done) => done(null, body));
    limitBodiesInFlight(scope, options.bodyBudget, PARTNER_BODY_LIMIT);
    scope.addHook('onResponse', async (_request, reply) => {
      durationHistogram().observe({ status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    });

    scope.post('/github/secret-scanning', { bodyLimit: PARTNER_BODY_LIMIT }, async (request, reply) => {
      const identifier = header(request, 'github-public-key-identifier');
      const signature = header(request, 'github-public-key-signature');
      if (identifier === null || signature === null) {
        return reply.code(400).send(fail('bad_request', 'Github-Public-Key-Identifier and Github-Public-Key-Signature are required'));
      }
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      let check;
      try {
        check = await options.keys.check(raw, identifier, signature);
      } catch (error) {
        if (!(error instanceof SecretScanningKeysUnavailableError)) throw error;
        // Not a 401: the signature may well be GitHub's, we just cannot check it now. GitHub retries a 5xx.
        return reply
          .code(503)
          .header('Retry-After', '5')
          .send(fail('unavailable', "GitHub's secret scanning keys cannot be fetched now; retry shortly"));
      }
      if (check === 'unknown-key')
        return reply.code(401).send(fail('unknown_key', 'Github-Public-Key-Identifier names no key GitHub publishes'));
      if (check === 'bad-signature')
        return reply.code(401).send(fail('bad_signature', 'Github-Public-Key-Signature does not match the body'));

      let payload: unknown;
      try {
        payload = JSON.parse(raw.toString('utf8'));
      } catch {
        return reply.code(400).send(fail('bad_request', 'the body is not JSON'));
      }
      const parsed = parsePartnerMatches(payload);
      if ('error' in parsed) return reply.code(400).send(fail('bad_request', parsed.error));
      // A key store outage throws StoreUnavailableError: the error handler answers 503 and GitHub redelivers.
      const feedback = await handlePartnerMatches(options.exposureDeps, parsed.matches, (options.now ?? (() => new Date()))());
      return reply.code(200).send(feedback);
    });
  });
}

function header(request: FastifyRequest, name: string): string | null {
  const value = request.headers[name];
  return typeof value === 'string' && value.length > 0 ? value : null;
}

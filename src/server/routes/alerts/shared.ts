import type { FastifyRequest } from 'fastify';
import type { Actor } from '../../../stores/alert-store.js';
import { ID } from '../../alert-params.js';
import type { AlertReview } from '../../alert-review.js';
import { ERROR_SCHEMA } from '../../alert-schemas.js';
import type { requireScope } from '../../auth.js';

/** What every /api/v1/alerts endpoint is given: the review and the `security` scope check, made once for all. */
export interface AlertRouteDeps {
  review: AlertReview;
  security: ReturnType<typeof requireScope>;
}

/** The token acting, for the audit trail: its id and the name an admin gave it. */
export function actorOf(request: FastifyRequest): Actor {
  const token = request.apiToken!;
  return { id: token.id, name: token.name };
}

// Answers are written with JSON.stringify: the response schemas document them (OpenAPI), they never filter them.
export const serializerCompiler = () => (data: unknown) => JSON.stringify(data);

export const PARAMS = { type: 'object', properties: { id: ID }, required: ['id'] } as const;
export const ERRORS = { 400: ERROR_SCHEMA, 401: ERROR_SCHEMA, 403: ERROR_SCHEMA, 404: ERROR_SCHEMA, 503: ERROR_SCHEMA } as const;
export const doc = (summary: string, extra: Record<string, unknown> = {}) => ({
  tags: ['alerts'],
  summary,
  security: [{ bearer: [] }],
  ...extra,
});

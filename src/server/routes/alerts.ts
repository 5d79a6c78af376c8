import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiTokens } from '../../stores/api-tokens.js';
import type { Actor, AlertResolution } from '../../stores/alert-store.js';
import { exportFileName, exportStream } from '../alert-export.js';
import { ASSIGNEE, COMMENT, FILTER_PROPERTIES, ID, LIST_PROPERTIES, RESOLUTION, parseAlertQuery, type AlertQuery } from '../alert-params.js';
import type { AlertReview } from '../alert-review.js';
import { ALERT_DETAIL_SCHEMA, ALERT_PAGE_SCHEMA, ALERT_SCHEMA, AUDIT_ENTRY, ERROR_SCHEMA } from '../alert-schemas.js';
import { requireScope, type BearerAuth } from '../auth.js';
import { watchAlertStates } from '../../metrics/alert-states.js';

/** The token acting, for the audit trail: its id and the name an admin gave it. */
export function actorOf(request: FastifyRequest): Actor {
  const token = request.apiToken!;
  return { id: token.id, name: token.name };
}

// Answers are written with JSON.stringify: the response schemas below document them (OpenAPI), they never filter them.
const serializerCompiler = () => (data: unknown) => JSON.stringify(data);

const PARAMS = { type: 'object', properties: { id: ID }, required: ['id'] } as const;
const ERRORS = { 400: ERROR_SCHEMA, 401: ERROR_SCHEMA, 403: ERROR_SCHEMA, 404: ERROR_SCHEMA, 503: ERROR_SCHEMA } as const;
const doc = (summary: string, extra: Record<string, unknown> = {}) => ({ tags: ['alerts'], summary, security: [{ bearer: [] }], ...extra });

/**
 * /api/v1/alerts: the security team's review of leaked keys (docs/api.md, "Alerts").
 * `security` scope (or `admin`). Every change names its token in the audit trail.
 */
export function alertRoutes(app: FastifyInstance, review: AlertReview, auth: BearerAuth): void {
  const security = requireScope(auth, ['security']);
  const unwatch = watchAlertStates(review.alerts);
  app.addHook('onClose', async () => unwatch());

  app.get<{ Querystring: AlertQuery }>(
    '/api/v1/alerts',
    {
      onRequest: security,
      serializerCompiler,
      schema: {
        ...doc('List alerts, newest first (by firstSeenAt), filtered, a page at a time', {
          description: 'A page may hold fewer than `limit` alerts and still carry a `nextCursor` when a filter matches few of the alerts looked at.',
        }),
        querystring: { type: 'object', additionalProperties: false, properties: LIST_PROPERTIES },
        response: { 200: ALERT_PAGE_SCHEMA, ...ERRORS },
      },
    },
    async (request) => review.alerts.list(parseAlertQuery(request.query)),
  );

  app.get<{ Querystring: AlertQuery }>(
    '/api/v1/alerts/counts',
    {
      onRequest: security,
      serializerCompiler,
      schema: {
        ...doc('Open and resolved alerts under the filters (state aside)', {
          description: '`complete` is false when a filtered count stopped after 20,000 alerts: the numbers are then lower bounds.',
        }),
        querystring: { type: 'object', additionalProperties: false, properties: FILTER_PROPERTIES },
        response: {
          200: { type: 'object', properties: { open: { type: 'integer' }, resolved: { type: 'integer' }, complete: { type: 'boolean' } } },
          ...ERRORS,
        },
      },
    },
    async (request) => review.alerts.count(parseAlertQuery(request.query)),
  );

  app.get<{ Querystring: AlertQuery & { format?: 'csv' | 'json' } }>(
    '/api/v1/alerts/export',
    {
      onRequest: security,
      schema: {
        ...doc('Export every alert the filters match, as CSV or JSON (for reports)', {
          description:
            'CSV: one row per alert, every cell quoted; a cell that would start with = + - @ (a spreadsheet formula) starts with an apostrophe. JSON: `{ exportedAt, filter, alerts: [alert + ownerName], count, truncated }`. At most 100,000 alerts.',
        }),
        querystring: { type: 'object', additionalProperties: false, properties: { ...FILTER_PROPERTIES, format: { type: 'string', enum: ['csv', 'json'] } } },
        response: { 200: { description: 'text/csv or application/json, as a download', type: 'string' }, ...ERRORS },
      },
    },
    async (request, reply) => {
      const { format = 'csv', ...query } = request.query;
      const { cursor: _cursor, limit: _limit, ...filter } = parseAlertQuery(query);
      const stream = await exportStream(review.alerts, review.keyStore, filter, format);
      return reply
        .header('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8')
        .header('content-disposition', `attachment; filename="${exportFileName(format)}"`)
        .header('cache-control', 'no-store')
        .send(stream);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/alerts/:id',
    {
      onRequest: security,
      serializerCompiler,
      schema: {
        ...doc("An alert, with its key (name, hint, status), owner, every place with links, timeline, notifications, the key's usage since exposure and the audit trail"),
        params: PARAMS,
        response: { 200: ALERT_DETAIL_SCHEMA, ...ERRORS },
      },
    },
    async (request) => review.detail(request.params.id),
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/alerts/:id/audit',
    {
      onRequest: security,
      serializerCompiler,
      schema: {
        ...doc('Who did what to the alert, and when (oldest first)'),
        params: PARAMS,
        response: { 200: { type: 'object', properties: { audit: { type: 'array', items: AUDIT_ENTRY } } }, ...ERRORS },
      },
    },
    async (request) => {
      await review.get(request.params.id);
      return { audit: await review.alerts.audit(request.params.id) };
    },
  );

  app.post<{ Params: { id: string }; Body: { resolution: AlertResolution; comment?: string } }>(
    '/api/v1/alerts/:id/resolve',
    {
      onRequest: security,
      serializerCompiler,
      schema: {
        ...doc('Resolve an open alert', {
          description: '409 `already_resolved` for a resolved alert; 409 `key_active` for `revoked` while the key still works (revoke it first).',
        }),
        params: PARAMS,
        body: { type: 'object', required: ['resolution'], additionalProperties: false, properties: { resolution: RESOLUTION, comment: COMMENT } },
        response: { 200: ALERT_SCHEMA, 409: ERROR_SCHEMA, ...ERRORS },
      },
    },
    async (request) => review.resolve(request.params.id, request.body, actorOf(request)),
  );

  app.post<{ Params: { id: string }; Body: { comment?: string } | null | undefined }>(
    '/api/v1/alerts/:id/reopen',
    {
      onRequest: security,
      serializerCompiler,
      schema: {
        ...doc('Reopen a resolved alert', { description: '409 `already_open` for an open alert.' }),
        params: PARAMS,
        body: { type: ['object', 'null'], additionalProperties: false, properties: { comment: COMMENT } },
        response: { 200: ALERT_SCHEMA, 409: ERROR_SCHEMA, ...ERRORS },
      },
    },
    async (request) => review.reopen(request.params.id, request.body ?? {}, actorOf(request)),
  );

  app.post<{ Params: { id: string }; Body: { assignee: string | null; comment?: string } }>(
    '/api/v1/alerts/:id/assign',
    {
      onRequest: security,
      serializerCompiler,
      schema: {
        ...doc('Assign the alert to a team member (a name or an address), or to nobody with null'),
        params: PARAMS,
        body: { type: 'object', required: ['assignee'], additionalProperties: false, properties: { assignee: { anyOf: [ASSIGNEE, { type: 'null' }] }, comment: COMMENT } },
        response: { 200: ALERT_SCHEMA, ...ERRORS },
      },
    },
    async (request) => review.assign(request.params.id, request.body, actorOf(request)),
  );

  app.post<{ Params: { id: string }; Body: { comment: string } }>(
    '/api/v1/alerts/:id/comments',
    {
      onRequest: security,
      serializerCompiler,
      schema: {
        ...doc('Add a comment to the audit trail'),
        params: PARAMS,
        body: { type: 'object', required: ['comment'], additionalProperties: false, properties: { comment: { ...COMMENT, minLength: 1, pattern: '\\S' } } },
        response: { 201: { type: 'object', properties: { audit: { type: 'array', items: AUDIT_ENTRY } } }, ...ERRORS },
      },
    },
    async (request, reply) => reply.code(201).send({ audit: await review.comment(request.params.id, request.body.comment, actorOf(request)) }),
  );

  app.post<{ Params: { id: string }; Body: { comment?: string } | null | undefined }>(
    '/api/v1/alerts/:id/revoke-key',
    {
      onRequest: security,
      serializerCompiler,
      schema: {
        ...doc("Revoke the alert's key now", {
          description: 'For a key the policy only alerted on (a private repository). 409 `already_revoked`; 404 `key_not_found` when the key store no longer has it.',
        }),
        params: PARAMS,
        body: { type: ['object', 'null'], additionalProperties: false, properties: { comment: COMMENT } },
        response: { 200: ALERT_SCHEMA, 409: ERROR_SCHEMA, ...ERRORS },
      },
    },
    async (request) => review.revokeKey(request.params.id, request.body ?? {}, actorOf(request)),
  );
}

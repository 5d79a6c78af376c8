/**
 * JSON schemas of the alert API's answers, for the OpenAPI description
 * (/api/v1/openapi.json). The routes serialize with JSON.stringify, not from
 * these schemas, so a field missing here is a documentation gap, never a
 * field silently dropped from an answer.
 */
import { RESOLUTIONS } from '../stores/alert-store.js';
import { SOURCES } from './alert-params.js';

const nullable = (type: string, extra: Record<string, unknown> = {}) => ({ type: [type, 'null'], ...extra });
const TIME = { type: 'string', format: 'date-time' } as const;
const NULL_TIME = nullable('string', { format: 'date-time' });

export const ERROR_SCHEMA = {
  type: 'object',
  description: 'Every error: `{ "error": { "code", "message" } }`',
  properties: { error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } } } },
} as const;

const LOCATION = {
  type: 'object',
  properties: {
    source: { type: 'string', enum: SOURCES },
    repo: nullable('string', { description: '`owner/name`' }),
    path: nullable('string'),
    line: nullable('integer'),
    commit: nullable('string'),
    url: nullable('string', { description: 'a link to the place: the blob at the commit and line, the issue, the comment' }),
    seenAt: TIME,
    partnerSource: { type: 'string', description: 'partner reports only: where GitHub found it' },
    field: {
      type: 'string',
      enum: ['path'],
      description:
        '`path`: the key was in the file or folder name; `path` holds the name with the key replaced by its hint, `line` is null',
    },
    allowMarker: { type: 'boolean', enum: [true], description: 'the line carried `neevscan:allow`; a live key is acted on all the same' },
    scanIncomplete: {
      type: 'boolean',
      enum: [true],
      description: 'part of the push or repository could not be read: other keys may be missing',
    },
    caller: {
      type: 'object',
      description: '`canary-use` only: who presented the canary, as the gateway reported it',
      properties: { clientIp: nullable('string'), userAgent: nullable('string'), endpoint: nullable('string') },
    },
  },
} as const;

const NOTIFICATION = {
  type: 'object',
  properties: {
    channel: { type: 'string', enum: ['email', 'webhook', 'security-email', 'slack', 'incident-email', 'incident-slack'] },
    notice: { type: 'integer' },
    status: { type: 'string', enum: ['sending', 'sent', 'retrying', 'failed', 'skipped'] },
    attempts: { type: 'integer' },
    at: TIME,
    error: { type: 'string' },
  },
} as const;

export const AUDIT_ENTRY = {
  type: 'object',
  properties: {
    at: TIME,
    actor: {
      type: 'object',
      description: 'the API token (id, name), or neevscan itself',
      properties: { id: { type: 'string' }, name: { type: 'string' } },
    },
    action: { type: 'string', enum: ['resolved', 'reopened', 'assigned', 'unassigned', 'commented', 'key_revoked'] },
    resolution: { type: 'string', enum: [...RESOLUTIONS] },
    comment: { type: 'string' },
    assignee: { type: 'string' },
    reason: { type: 'string', description: '`new_location`: neevscan reopened a wont_fix alert' },
    location: { type: 'object', properties: { source: { type: 'string' }, repo: nullable('string') } },
  },
} as const;

const CALLER_COUNT = { type: 'object', properties: { value: { type: 'string' }, requests: { type: 'integer' } } } as const;
const NEW_CALLER = { type: 'object', properties: { value: { type: 'string' }, requests: { type: 'integer' }, firstSeenAt: TIME } } as const;

const ALERT_PROPERTIES = {
  id: { type: 'string' },
  state: { type: 'string', enum: ['open', 'resolved'] },
  resolution: nullable('string', { enum: [...RESOLUTIONS, null] }),
  keyId: { type: 'string' },
  ownerId: { type: 'string' },
  keyHint: { type: 'string', description: 'neev_…abcd: never the key' },
  keyName: nullable('string'),
  secretSha256: { type: 'string' },
  keyStatus: { type: 'string', enum: ['active', 'expired', 'revoked'] },
  revokedAt: NULL_TIME,
  verifiedRevokedAt: { ...NULL_TIME, description: "when the gateway's own check was seen refusing the revoked key; null until then" },
  revocationVerification: nullable('string', {
    enum: ['verified', 'still_authenticates', 'failed', null],
    description:
      'proof of the revocation: null while not checked yet; still_authenticates is an incident (checked again); ' +
      'failed: no proof after the last try',
  }),
  assignee: nullable('string'),
  resolvedAt: NULL_TIME,
  resolvedBy: nullable('string', { description: 'the name of the API token that resolved it' }),
  resolutionComment: nullable('string'),
  firstSeenAt: TIME,
  pushedAt: { ...NULL_TIME, description: 'when GitHub received the push (or the text was posted): the start of revokeLatencyMs' },
  committedAt: {
    ...NULL_TIME,
    description: "pushes: when the head commit was made, by its committer's clock; shown apart, never timed from",
  },
  receivedAt: TIME,
  revokeLatencyMs: nullable('integer', { description: 'push (or receipt) to revocation by the leak detector' }),
  canary: {
    type: 'boolean',
    description: 'the key is a canary (honeytoken): any use or sighting is an intrusion; never revoked automatically',
  },
  canaryLabel: nullable('string', { description: 'where the canary was planted' }),
  replacedBy: nullable('string', { description: 'the key made to replace the exposed one (POST /api/v1/keys/{id}/replace)' }),
  locations: { type: 'array', items: LOCATION },
  locationCount: { type: 'integer', description: 'distinct places, including those beyond the 1,000 kept' },
  notifications: { type: 'array', items: NOTIFICATION },
  timeline: {
    type: 'array',
    items: {
      type: 'object',
      properties: {
        event: {
          type: 'string',
          enum: ['committed', 'pushed', 'received', 'revoked', 'verified_revoked', 'notified', 'resolved', 'reopened'],
        },
        at: TIME,
      },
    },
  },
} as const;

export const ALERT_SCHEMA = { type: 'object', properties: ALERT_PROPERTIES } as const;

const USAGE_BUCKET = { type: 'object', properties: { hour: TIME, requests: { type: 'integer' }, tokens: { type: 'integer' } } } as const;

export const ALERT_DETAIL_SCHEMA = {
  type: 'object',
  properties: {
    ...ALERT_PROPERTIES,
    locations: { type: 'array', items: { type: 'object', properties: { ...LOCATION.properties, commitUrl: nullable('string') } } },
    key: nullable('object', {
      description: 'the key as the key store has it now (null: gone, or the store did not answer)',
      properties: {
        id: { type: 'string' },
        name: { type: 'string' },
        hint: { type: 'string' },
        status: { type: 'string' },
        createdAt: TIME,
        lastUsedAt: NULL_TIME,
        revokedAt: NULL_TIME,
        revokedBy: nullable('string'),
        revokedReason: nullable('string'),
        expiresAt: NULL_TIME,
        canary: { type: 'boolean', description: 'a honeytoken: never revoked automatically' },
        canaryLabel: nullable('string'),
        replacedBy: nullable('string', { description: 'the key made to replace this revoked one' }),
        replaces: nullable('string'),
      },
    }),
    callersSinceExposure: nullable('object', {
      description:
        'who used the key from the exposure to its revocation (or now): distinct addresses, top addresses, user agents and endpoints, and those never seen on the key in the 7 days before',
      properties: {
        since: TIME,
        until: TIME,
        lookBackDays: { type: 'integer' },
        distinctAddresses: { type: 'integer' },
        addresses: { type: 'array', items: CALLER_COUNT },
        userAgents: { type: 'array', items: CALLER_COUNT },
        endpoints: { type: 'array', items: CALLER_COUNT },
        others: {
          type: 'object',
          properties: { addresses: { type: 'integer' }, userAgents: { type: 'integer' }, endpoints: { type: 'integer' } },
        },
        newAddresses: { type: 'array', items: NEW_CALLER },
        newUserAgents: { type: 'array', items: NEW_CALLER },
        firstNewUseAt: NULL_TIME,
        firstNewUseDelayMs: nullable('integer'),
      },
    }),
    owner: nullable('object', { properties: { id: { type: 'string' }, name: { type: 'string' }, email: nullable('string') } }),
    usageSinceExposure: nullable('object', {
      description: "the key's use per hour since it was first exposed, to spot abuse",
      properties: {
        since: TIME,
        buckets: { type: 'array', items: USAGE_BUCKET },
        requests: { type: 'integer' },
        tokens: { type: 'integer' },
      },
    }),
    audit: { type: 'array', items: AUDIT_ENTRY },
    keyStore: { type: 'string', enum: ['ok', 'unavailable'] },
  },
} as const;

export const ALERT_PAGE_SCHEMA = {
  type: 'object',
  properties: {
    alerts: { type: 'array', items: ALERT_SCHEMA },
    nextCursor: nullable('string', { description: 'pass as cursor, with the same filters, for the next page; null on the last' }),
  },
} as const;

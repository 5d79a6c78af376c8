import type { LocationRecord } from '../core/exposure.js';
import type { Notice } from './notice.js';

/**
 * The owner webhook's JSON body, schema version 1 (docs/notifications.md,
 * "The webhook"). Additive changes keep `version: 1`; anything a receiver
 * could break on gets a new version. Holds the hint, never the key.
 */

export const WEBHOOK_SCHEMA_VERSION = 1;

/** `key.exposed` for an alert's first notice; `key.exposed.follow_up` for places found after it. */
export function webhookEvent(notice: Notice): string {
  return notice.followUp ? 'key.exposed.follow_up' : 'key.exposed';
}

/** Stable across retries of the same notice, so a receiver can drop a duplicate. */
export function webhookDeliveryId(alertId: string, notice: number): string {
  return `${alertId}.webhook.${notice}`;
}

export function webhookPayload(notice: Notice): string {
  return JSON.stringify({
    version: WEBHOOK_SCHEMA_VERSION,
    event: webhookEvent(notice),
    deliveryId: webhookDeliveryId(notice.alertId, notice.number),
    alert: {
      id: notice.alertId,
      notice: notice.number,
      followUp: notice.followUp,
      pushedAt: notice.pushedAt,
      committedAt: notice.committedAt,
      foundAt: notice.foundAt,
    },
    owner: notice.owner,
    key: {
      id: notice.key.id,
      name: notice.key.name,
      hint: notice.key.hint,
      status: notice.key.status,
    },
    action: {
      kind: notice.action.kind,
      revokedAt: notice.action.at,
      revokedBy: notice.action.by,
      revokeLatencyMs: notice.action.latencyMs,
      verifiedRevokedAt: notice.action.verifiedAt,
      revocationVerification: notice.action.verification,
      notRevokedReason: notice.action.notRevokedReason,
      summary: notice.action.summary,
    },
    locations: notice.places.map((place) => {
      // Every field a place may have, whatever its source: the payload keeps the alert JSON's flat shape.
      const p: LocationRecord = place;
      return {
        source: p.source,
        ...(p.partnerSource !== undefined ? { partnerSource: p.partnerSource } : {}),
        repo: p.repo,
        path: p.path,
        line: p.line,
        commit: p.commit,
        commitUrl: place.commitUrl,
        url: p.url,
        seenAt: p.seenAt,
        ...(p.field !== undefined ? { field: p.field } : {}),
        ...(p.allowMarker !== undefined ? { allowMarker: p.allowMarker } : {}),
        ...(p.scanIncomplete !== undefined ? { scanIncomplete: p.scanIncomplete } : {}),
        ...(p.caller !== undefined ? { caller: p.caller } : {}),
      };
    }),
    locationsInNotice: notice.placeCount,
    locationsTotal: notice.totalPlaces,
    usage: notice.usage,
    callers: notice.callers,
    canary: notice.canary,
    replacedBy: notice.replacedBy,
    nextSteps: notice.nextSteps,
    neverStoreKeysIn: notice.neverStoreIn,
  });
}

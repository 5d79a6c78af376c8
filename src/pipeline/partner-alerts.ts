/**
 * A verified GitHub Secret Scanning partner batch, handled while GitHub
 * waits: each distinct token is checked with the key format, confirmed by
 * its sha256, revoked and recorded through handleExposure, and labelled for
 * GitHub's feedback. Only the slow part (telling the owner) is queued, by
 * handleExposure's `notify`.
 */
import type { PartnerMatch } from '../github/secret-scanning-payload.js';
import { isValidKey, keyHint, sha256Hex } from '../key-format/key.js';
import { counter } from '../metrics/registry.js';
import { mapLimit } from '../util/map-limit.js';
import { handleExposure, type ExposureOutcome, type HandleExposureDeps } from './handle-exposure.js';
import type { Exposure, Location } from '../core/exposure.js';

export type PartnerLabel = 'true_positive' | 'false_positive';

/** One entry of the response GitHub reads as feedback. Never `token_raw`: the token is not echoed. */
export interface PartnerFeedback {
  token_hash: string;
  token_type: string;
  label: PartnerLabel;
}

/** A partner match is found by GitHub's scanners for our format; the rule is the one that defines it. */
const PARTNER_RULE_ID = 'neevcloud-api-key';

/**
 * Tokens confirmed at once. Each costs a few Redis round trips (confirm, revoke, alert, notify);
 * 32 in flight keeps a 1,000-token batch well under GitHub's 30 s without crowding the server's Redis connection.
 */
export const PARTNER_CONCURRENCY = 32;

const tokensCounter = () =>
  counter<'label' | 'outcome'>({
    name: 'neevscan_partner_tokens_total',
    help: 'Tokens reported by GitHub Secret Scanning, by feedback label and what was done (malformed, unknown, revoked, already-revoked, expired, alert-only).',
    labelNames: ['label', 'outcome'],
  });

interface TokenGroup {
  token: string;
  type: string;
  /** The distinct places this batch reports the token at, in order. */
  locations: Location[];
}

/**
 * Handles a batch; one feedback entry per distinct token, in the order first
 * reported. A key store outage (StoreUnavailableError) propagates, so the
 * whole request is answered 503 and GitHub redelivers it: handleExposure is
 * idempotent, so whatever was done before the outage is not done twice.
 */
export async function handlePartnerMatches(
  deps: HandleExposureDeps,
  matches: readonly PartnerMatch[],
  receivedAt: Date,
  concurrency = PARTNER_CONCURRENCY,
): Promise<PartnerFeedback[]> {
  const groups = groupByToken(matches, receivedAt.toISOString());
  return mapLimit(groups, concurrency, async (group) => {
    const { label, outcome } = await handleToken(deps, group, receivedAt);
    tokensCounter().inc({ label, outcome });
    return { token_hash: sha256Hex(group.token), token_type: group.type, label };
  });
}

async function handleToken(
  deps: HandleExposureDeps,
  group: TokenGroup,
  receivedAt: Date,
): Promise<{ label: PartnerLabel; outcome: ExposureOutcome | 'malformed' }> {
  // Fails the checksum: not a NeevCloud key, and no reason to ask Redis.
  if (!isValidKey(group.token)) return { label: 'false_positive', outcome: 'malformed' };
  const secretSha256 = sha256Hex(group.token);
  let first: ExposureOutcome | undefined;
  // One place after the other: the first confirms and revokes, the others find the key revoked and add their place.
  for (const location of group.locations) {
    const exposure: Exposure = {
      secretSha256,
      redacted: keyHint(group.token),
      ruleId: PARTNER_RULE_ID,
      location,
      // Everything GitHub's partner program reports was found in a public place.
      public: true,
      pushedAt: null,
      receivedAt: receivedAt.toISOString(),
    };
    const { outcome } = await handleExposure(deps, exposure);
    first ??= outcome;
    if (outcome === 'unknown') break;
  }
  return first === 'unknown' || first === undefined
    ? { label: 'false_positive', outcome: 'unknown' }
    : { label: 'true_positive', outcome: first };
}

/** Identical tokens in one batch are handled once, with each distinct place they were reported at. */
function groupByToken(matches: readonly PartnerMatch[], seenAt: string): TokenGroup[] {
  const groups = new Map<string, TokenGroup & { places: Set<string> }>();
  for (const match of matches) {
    let group = groups.get(match.token);
    if (!group) {
      group = { token: match.token, type: match.type, locations: [], places: new Set() };
      groups.set(match.token, group);
    }
    const place = JSON.stringify([match.url, match.source]);
    if (group.places.has(place)) continue;
    group.places.add(place);
    const location: Location = { source: 'partner', repo: null, path: null, line: null, commit: null, url: match.url, seenAt };
    if (match.source !== null) location.partnerSource = match.source;
    group.locations.push(location);
  }
  return [...groups.values()].map(({ token, type, locations }) => ({ token, type, locations }));
}

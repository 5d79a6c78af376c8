import type { Location } from '../core/exposure.js';

/** Key stores keep the reason as plain text; a long URL must not make it unbounded. */
const MAX_REASON = 500;

/**
 * Why the leak detector revoked a key, naming the place, e.g.
 * "exposed in octo-org/app config/app.env:3 at commit 1a2b… (https://github.com/…)".
 * The owner reads it in their key list, so it says where to look.
 */
export function revokeReason(location: Location): string {
  const file = location.path === null ? null : location.line === null ? location.path : `${location.path}:${location.line}`;
  const where = [location.repo, file].filter((part): part is string => Boolean(part)).join(' ');
  let reason = where ? `exposed in ${where}` : `exposed (${location.source})`;
  if (location.commit) reason += ` at commit ${location.commit}`;
  if (location.url) reason += ` (${location.url})`;
  return reason.length > MAX_REASON ? `${reason.slice(0, MAX_REASON - 1)}…` : reason;
}

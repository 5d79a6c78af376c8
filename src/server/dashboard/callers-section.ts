import type { CallerCount, CallerEvidence, NewCaller } from '../../stores/key-store.js';
import { duration, esc, time } from './html.js';

/**
 * The alert page's "who used it" section: distinct addresses, the callers new since the exposure (the likely
 * intruders: unseen on the key in the days before), and the top addresses, user agents and endpoints.
 */
export function callersSection(callers: CallerEvidence | null, keyStore: 'ok' | 'unavailable'): string {
  if (!callers) {
    return keyStore === 'unavailable'
      ? '<p class="muted">The key store did not answer.</p>'
      : '<p class="muted">No caller summaries: the gateway sends no caller context, or the key store keeps none.</p>';
  }
  const first = callers.firstNewUseAt
    ? `First use by a new caller: ${time(callers.firstNewUseAt)} (${duration(callers.firstNewUseDelayMs)} after the exposure).`
    : `No address or user agent that had not used the key in the ${esc(callers.lookBackDays)} days before.`;
  return `<p>From ${time(callers.since)} to ${time(callers.until)}: <strong>${esc(callers.distinctAddresses)}</strong> distinct ${
    callers.distinctAddresses === 1 ? 'address' : 'addresses'
  }. ${first}</p>
${newTable('New addresses', callers.newAddresses)}${newTable('New user agents', callers.newUserAgents)}
${countTable('Addresses', callers.addresses, callers.others.addresses)}${countTable('User agents', callers.userAgents, callers.others.userAgents)}${countTable(
    'Endpoints',
    callers.endpoints,
    callers.others.endpoints,
  )}`;
}

function newTable(caption: string, rows: NewCaller[]): string {
  if (!rows.length) return '';
  const body = rows
    .map((r) => `<tr><td><code>${esc(r.value, 200)}</code></td><td>${esc(r.requests)}</td><td>${time(r.firstSeenAt)}</td></tr>`)
    .join('');
  return `<table class="new-callers"><caption>${esc(caption)} (not seen before the exposure)</caption><thead><tr><th scope="col">Value</th><th scope="col">Requests</th><th scope="col">First seen</th></tr></thead><tbody>${body}</tbody></table>`;
}

function countTable(caption: string, rows: CallerCount[], others: number): string {
  if (!rows.length && !others) return '';
  const body = rows.map((r) => `<tr><td><code>${esc(r.value, 200)}</code></td><td>${esc(r.requests)}</td></tr>`).join('');
  const rest = others ? `<tr><td class="muted">others</td><td>${esc(others)}</td></tr>` : '';
  return `<table><caption>${esc(caption)}</caption><thead><tr><th scope="col">Value</th><th scope="col">Requests</th></tr></thead><tbody>${body}${rest}</tbody></table>`;
}

import type { UsageSinceExposure } from '../alert-review.js';
import { esc, formatCount, time } from './html.js';
import { formatTime } from '../../util/text.js';

const HOUR = 3_600_000;
/** Bar widths to choose from, in hours: the smallest that keeps the chart at MAX_BARS or fewer. */
const STEPS = [1, 2, 3, 6, 12, 24, 48, 168, 336, 720];
const MAX_BARS = 72;
/** A chart spans at least a day, so a fresh leak shows as narrow bars at the left rather than one bar across. */
const MIN_BARS = 24;
const W = 720;
const H = 120;
const LEFT = 64;
const RIGHT = 8;
const TOP = 16;
const BOTTOM = 22;

const plural = (n: number, word: string) => `${formatCount(n)} ${word}${n === 1 ? '' : 's'}`;

interface Bar {
  start: number;
  requests: number;
  tokens: number;
}

/**
 * The hourly buckets since exposure, grouped into MIN_BARS to MAX_BARS bars from the exposure's hour on.
 * Never more than MAX_BARS, whatever `since` says: past the widest step, bars widen to fit (a start
 * in year −271821 once asked for billions of bars); a start that is no time, or after now, is now.
 */
export function bars(usage: UsageSinceExposure, now: number): { bars: Bar[]; step: number } {
  const since = Date.parse(usage.since);
  const from = Math.floor((Number.isFinite(since) && since <= now ? since : now) / HOUR) * HOUR;
  const hours = Math.max(1, Math.ceil((now - from) / HOUR));
  const step = STEPS.find((s) => Math.ceil(hours / s) <= MAX_BARS) ?? Math.ceil(hours / MAX_BARS);
  const count = Math.max(Math.ceil(hours / step), step === 1 ? MIN_BARS : 1);
  const out: Bar[] = Array.from({ length: count }, (_, i) => ({ start: from + i * step * HOUR, requests: 0, tokens: 0 }));
  for (const bucket of usage.buckets) {
    const i = Math.floor((Date.parse(bucket.hour) - from) / (step * HOUR));
    const bar = out[Math.min(Math.max(i, 0), count - 1)]!;
    bar.requests += bucket.requests;
    bar.tokens += bucket.tokens;
  }
  return { bars: out, step };
}

function chart(id: string, what: 'requests' | 'tokens', data: Bar[], step: number, revokedAt: string | null, now: number): string {
  const max = Math.max(1, ...data.map((b) => b[what]));
  const plotW = W - LEFT - RIGHT;
  const plotH = H - TOP - BOTTOM;
  const width = plotW / data.length;
  const span = data.length * step * HOUR;
  const from = data[0]!.start;
  const per = step === 1 ? 'hour' : `${step} hours`;
  const rects = data
    .map((bar, i) => {
      const h = (bar[what] / max) * plotH;
      const label = `${formatTime(new Date(bar.start).toISOString())}: ${plural(bar.requests, 'request')}, ${plural(bar.tokens, 'token')}`;
      return `<rect class="bar${bar[what] ? '' : ' zero'}" x="${(LEFT + i * width + 0.5).toFixed(1)}" y="${(TOP + plotH - h).toFixed(1)}" width="${Math.max(1, width - 1).toFixed(1)}" height="${h.toFixed(1)}"><title>${esc(label)}</title></rect>`;
    })
    .join('');
  const at = (t: number) => (LEFT + ((t - from) / span) * plotW).toFixed(1);
  let marker = '';
  const revoked = revokedAt ? Date.parse(revokedAt) : NaN;
  if (Number.isFinite(revoked) && revoked >= from && revoked <= from + span) {
    marker += `<line class="revoked" x1="${at(revoked)}" x2="${at(revoked)}" y1="${TOP}" y2="${TOP + plotH}"/><text class="revoked" x="${at(revoked)}" y="${TOP - 4}" dx="3">revoked</text>`;
  }
  const nowMarked = now < from + span;
  if (nowMarked) marker += `<line class="now" x1="${at(now)}" x2="${at(now)}" y1="${TOP}" y2="${TOP + plotH}"><title>now</title></line>`;
  const peak = data.reduce((a, b) => (b[what] > a[what] ? b : a));
  const description = `${formatCount(data.reduce((n, b) => n + b[what], 0))} ${what} in all; the most in one ${per}: ${formatCount(peak[what])}, from ${formatTime(new Date(peak.start).toISOString())}.`;
  return `<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="${id}-t ${id}-d">
<title id="${id}-t">${esc(`${what === 'requests' ? 'Requests' : 'Tokens'} per ${per} since the key was exposed`)}</title>
<desc id="${id}-d">${esc(description)}</desc>
<text class="axis" x="${LEFT - 6}" y="${TOP + 9}" text-anchor="end">${esc(formatCount(max))}</text>
<text class="axis" x="${LEFT - 6}" y="${TOP + plotH}" text-anchor="end">0</text>
<line class="base" x1="${LEFT}" x2="${W - RIGHT}" y1="${TOP + plotH}" y2="${TOP + plotH}"/>
${rects}${marker}
<text class="axis" x="${LEFT}" y="${H - 6}">${esc(formatTime(new Date(from).toISOString()))}</text>
<text class="axis" x="${W - RIGHT}" y="${H - 6}" text-anchor="end">${nowMarked ? esc(formatTime(new Date(from + span).toISOString())) : 'now'}</text>
</svg>`;
}

/**
 * The key's use since it was exposed: totals, a requests chart and a tokens
 * chart (inline SVG, no script), the revocation marked, and the hourly
 * figures as a table for screen readers and for copying.
 */
export function usageSection(
  usage: UsageSinceExposure | null,
  options: { now: number; revokedAt: string | null; keyStore: 'ok' | 'unavailable' },
): string {
  if (!usage) {
    return `<p class="muted">${options.keyStore === 'unavailable' ? 'The key store did not answer: usage is not known right now.' : 'The key store no longer has this key: no usage to show.'}</p>`;
  }
  const intro = `<p><strong>${esc(formatCount(usage.requests))}</strong> ${usage.requests === 1 ? 'request' : 'requests'} and <strong>${esc(formatCount(usage.tokens))}</strong> ${usage.tokens === 1 ? 'token' : 'tokens'} since the key was exposed (${time(usage.since)}; counted by whole hours, so the first hour may include use from just before).</p>`;
  if (usage.requests === 0 && usage.tokens === 0) return `${intro}<p class="ok">No use since it was exposed.</p>`;
  const { bars: data, step } = bars(usage, options.now);
  const rows = usage.buckets
    .map(
      (b) =>
        `<tr><td>${time(b.hour)}</td><td class="num">${esc(formatCount(b.requests))}</td><td class="num">${esc(formatCount(b.tokens))}</td></tr>`,
    )
    .join('');
  return `${intro}
<figure class="usage">${chart('usage-requests', 'requests', data, step, options.revokedAt, options.now)}<figcaption>Requests</figcaption></figure>
<figure class="usage">${chart('usage-tokens', 'tokens', data, step, options.revokedAt, options.now)}<figcaption>Tokens</figcaption></figure>
<details><summary>Usage per hour (table)</summary>
<table><thead><tr><th scope="col">Hour</th><th scope="col" class="num">Requests</th><th scope="col" class="num">Tokens</th></tr></thead><tbody>${rows}</tbody></table>
</details>`;
}

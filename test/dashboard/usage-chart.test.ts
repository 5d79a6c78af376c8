import { describe, expect, it } from 'vitest';
import { bars, usageSection } from '../../src/server/dashboard/usage-chart.js';

const NOW = Date.parse('2026-11-26T13:30:00.000Z');
const bucket = { hour: '2026-11-26T12:00:00.000Z', requests: 3, tokens: 900 };

describe('the usage chart, whatever time it is given', () => {
  it('a start in year −271821 (stored before outside times were checked) gives at most 72 bars, at once', () => {
    const usage = { since: '-271821-04-20T00:00:00.000Z', buckets: [bucket], requests: 3, tokens: 900 };
    const started = performance.now();
    const { bars: data } = bars(usage, NOW);
    expect(data.length).toBeGreaterThan(0);
    expect(data.length).toBeLessThanOrEqual(72);
    expect(data.reduce((n, b) => n + b.requests, 0)).toBe(3);
    const html = usageSection(usage, { now: NOW, revokedAt: null, keyStore: 'ok' });
    expect(html.match(/<rect /g)!.length).toBeLessThanOrEqual(2 * 72);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('a start in the future, or that is no time, charts from now (a day of hourly bars)', () => {
    for (const since of ['+275760-09-13T00:00:00.000Z', 'not a time']) {
      const { bars: data, step } = bars({ since, buckets: [bucket], requests: 3, tokens: 900 }, NOW);
      expect(step).toBe(1);
      expect(data).toHaveLength(24);
      expect(data.every((b) => Number.isFinite(b.start))).toBe(true);
    }
  });

  it('an ordinary week still charts with its usual steps', () => {
    const { bars: data, step } = bars(
      { since: new Date(NOW - 7 * 24 * 3_600_000).toISOString(), buckets: [bucket], requests: 3, tokens: 900 },
      NOW,
    );
    expect(step).toBe(3);
    expect(data.length).toBeLessThanOrEqual(72);
  });
});

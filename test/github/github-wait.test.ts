/** When a job put off for a GitHub rate limit may run again. */
import { describe, expect, it } from 'vitest';
import { GitHubRestingError, gitHubWaitUntil } from '../../src/github/github-wait.js';

const now = Date.UTC(2026, 10, 27, 1, 0, 0);
const failure = (status: number, headers: Record<string, string>) => Object.assign(new Error('refused'), { status, response: { headers } });

describe('gitHubWaitUntil', () => {
  it('puts a spent budget off until one second past its reset, when the client stops resting (plugin-throttling rests 1–2 s past it)', () => {
    const reset = now / 1000 + 3;
    expect(gitHubWaitUntil(failure(403, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) }), now)).toBe(
      reset * 1000 + 1000,
    );
  });

  it('puts a secondary limit off until one second past its retry-after', () => {
    expect(gitHubWaitUntil(failure(429, { 'retry-after': '30' }), now)).toBe(now + 31_000);
  });

  it("takes a resting client's own time as it is, and nothing from other failures", () => {
    expect(gitHubWaitUntil(new GitHubRestingError(now + 5000, 'installation 7'), now)).toBe(now + 5000);
    expect(gitHubWaitUntil(failure(500, {}), now)).toBeNull();
    expect(gitHubWaitUntil(failure(403, { 'x-ratelimit-remaining': '12' }), now)).toBeNull();
    expect(gitHubWaitUntil(new Error('socket hang up'), now)).toBeNull();
  });
});

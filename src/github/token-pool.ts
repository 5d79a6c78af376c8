/**
 * Several GitHub tokens (GITHUB_TOKENS) sharing one body of work: each request
 * goes out with the token that has the most of its hourly budget left, as
 * GitHub reports it in `x-ratelimit-remaining` on every answer. A token that
 * is spent (or refused) waits for its `x-ratelimit-reset`; when every token
 * is spent, `pick()` says so and the caller degrades instead of queueing.
 */
import { gauge } from '../metrics/registry.js';

/** GitHub's hourly budget for a token; assumed for a token no answer has described yet. */
const ASSUMED_LIMIT = 5000;

interface Budget {
  /** Requests left in this window; null until an answer says. */
  remaining: number | null;
  /** When the window resets (ms since the epoch); 0 when unknown. */
  resetAt: number;
  /** Bad credentials (401): not used again by this process. */
  refused: boolean;
}

export interface PickedToken {
  /** 0-based position in the merged token list. */
  index: number;
  token: string;
}

export interface TokenPoolOptions {
  /**
   * Requests each token keeps back: a token with this many or fewer left counts as spent. The
   * workers keep some for the poller, so that reading the feed is the last thing to stop.
   * @defaultValue 0
   */
  reserve?: number;
  now?: () => number;
}

const remainingGauge = () =>
  gauge({
    name: 'neevscan_github_rate_limit_remaining',
    help: 'Requests left in the GitHub rate-limit window, per token (1-based position in GITHUB_TOKEN + GITHUB_TOKENS)',
    labelNames: ['token'],
  });

type HeaderBag = Record<string, string | number | undefined> | Headers;

function header(headers: HeaderBag, name: string): string | undefined {
  const value = headers instanceof Headers ? headers.get(name) : headers[name];
  return value === undefined || value === null ? undefined : String(value);
}

export class TokenPool {
  private readonly budgets: Budget[];
  private readonly reserve: number;
  private readonly now: () => number;

  constructor(
    readonly tokens: readonly string[],
    options: TokenPoolOptions = {},
  ) {
    this.budgets = tokens.map(() => ({ remaining: null, resetAt: 0, refused: false }));
    this.reserve = options.reserve ?? 0;
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.tokens.length;
  }

  /** The token with the most budget left, or null when every token is spent (or refused). */
  pick(): PickedToken | null {
    const now = this.now();
    let best = -1;
    let bestLeft = -Infinity;
    this.budgets.forEach((budget, index) => {
      if (budget.refused) return;
      // The window rolled over: the next answer tells the new budget.
      if (budget.resetAt !== 0 && budget.resetAt <= now) Object.assign(budget, { remaining: null, resetAt: 0 });
      const left = budget.remaining ?? ASSUMED_LIMIT;
      if (left > this.reserve && left > bestLeft) {
        best = index;
        bestLeft = left;
      }
    });
    if (best < 0) return null;
    // Counted now, so that requests made together spread over the tokens before their answers arrive.
    this.budgets[best]!.remaining = bestLeft - 1;
    return { index: best, token: this.tokens[best]! };
  }

  /** Reads `x-ratelimit-remaining` and `x-ratelimit-reset` from an answer (any status) given with token `index`. */
  observe(index: number, headers: HeaderBag): void {
    const budget = this.budgets[index];
    const remaining = Number(header(headers, 'x-ratelimit-remaining'));
    const reset = Number(header(headers, 'x-ratelimit-reset'));
    if (!budget || header(headers, 'x-ratelimit-remaining') === undefined || !Number.isFinite(remaining)) return;
    budget.remaining = remaining;
    if (Number.isFinite(reset) && reset > 0) budget.resetAt = reset * 1000;
    remainingGauge().set({ token: String(index + 1) }, remaining);
  }

  /** A secondary rate limit (`retry-after`): the token rests that long, whatever its budget. */
  pause(index: number, untilMs: number): void {
    const budget = this.budgets[index];
    if (!budget) return;
    budget.remaining = 0;
    budget.resetAt = Math.max(budget.resetAt, untilMs);
  }

  /** Bad credentials: this token is not used again by this process (a log line says which one). */
  refuse(index: number): void {
    const budget = this.budgets[index];
    if (budget) budget.refused = true;
  }

  /** When the first spent token gets its budget back (ms since the epoch), or null when none will (all refused). */
  nextReset(): number | null {
    const resets = this.budgets.filter((b) => !b.refused && b.resetAt > 0).map((b) => b.resetAt);
    return resets.length ? Math.min(...resets) : null;
  }

  /** Requests left per token, as last reported (null: not known yet; -1: refused). */
  remaining(): Array<number | null> {
    return this.budgets.map((b) => (b.refused ? -1 : b.remaining));
  }
}

/** A GitHub answer that says the token's budget is spent (primary) or that it must rest (secondary): when it may go again. */
export function rateLimitedUntil(status: number, headers: HeaderBag, now = Date.now()): number | null {
  if (status !== 403 && status !== 429) return null;
  const retryAfter = Number(header(headers, 'retry-after'));
  if (header(headers, 'retry-after') !== undefined && Number.isFinite(retryAfter)) return now + retryAfter * 1000;
  if (header(headers, 'x-ratelimit-remaining') === '0') {
    const reset = Number(header(headers, 'x-ratelimit-reset'));
    return Number.isFinite(reset) && reset > 0 ? reset * 1000 : now + 60_000;
  }
  return null;
}

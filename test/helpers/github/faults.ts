/** Failures a test asks for: server errors and secondary rate limits on the next matching requests. */
import { STATUS_CODES } from 'node:http';
import { HttpError } from './http.js';

export interface FaultOptions {
  /** Matched against the request path (no query); every path when absent. */
  path?: RegExp;
  method?: string;
  /** How many matching requests fail; later ones pass. */
  times: number;
  status: 500 | 502 | 503 | 504;
}

export interface SecondaryLimitOptions {
  path?: RegExp;
  method?: string;
  times: number;
  /** GitHub answers a secondary limit with 403 or 429; default 403. */
  status?: 403 | 429;
  /** Seconds in `retry-after`; default 60. Null sends none (then clients wait a minute, per the docs). */
  retryAfter?: number | null;
}

export interface DelayOptions {
  path?: RegExp;
  method?: string;
  /** Milliseconds each matching request is held before it is answered. */
  ms: number;
  /** How many matching requests are held; every one when absent. */
  times?: number;
}

interface Delay {
  path?: RegExp;
  method?: string;
  ms: number;
  left: number;
}

interface Fault {
  path?: RegExp;
  method?: string;
  left: number;
  error: (requestId: string) => HttpError;
}

const SECONDARY_DOCS =
  'https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits';

export class Faults {
  private readonly queue: Fault[] = [];
  private readonly delays: Delay[] = [];

  /** A slow GitHub: matching requests are held `ms` before they are handled (so work is in flight long enough to be interrupted). */
  delay(options: DelayOptions): void {
    this.delays.push({ path: options.path, method: options.method, ms: options.ms, left: options.times ?? Infinity });
  }

  /** GitHub fast again: requests from now on are answered at once (those already held are answered when their hold ends). */
  endDelays(): void {
    this.delays.length = 0;
  }

  /** How long to hold this request (using up one of a delay's times), 0 for none. */
  holdFor(method: string, path: string): number {
    const delay = this.delays.find((d) => d.left > 0 && (!d.method || d.method.toUpperCase() === method) && (!d.path || d.path.test(path)));
    if (!delay) return 0;
    delay.left--;
    return delay.ms;
  }

  fail(options: FaultOptions): void {
    this.queue.push({
      ...options,
      left: options.times,
      error: () => new HttpError(options.status, STATUS_CODES[options.status] ?? 'Server Error'),
    });
  }

  secondaryRateLimit(options: SecondaryLimitOptions): void {
    const retryAfter = options.retryAfter === undefined ? 60 : options.retryAfter;
    this.queue.push({
      ...options,
      left: options.times,
      error: (requestId) =>
        new HttpError(
          options.status ?? 403,
          `You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID ${requestId}.`,
          { documentation_url: SECONDARY_DOCS },
          retryAfter === null ? {} : { 'retry-after': String(retryAfter) },
        ),
    });
  }

  /** The error for this request if a fault claims it (using up one of its times), else null. */
  take(method: string, path: string, requestId: string): HttpError | null {
    const fault = this.queue.find((f) => f.left > 0 && (!f.method || f.method.toUpperCase() === method) && (!f.path || f.path.test(path)));
    if (!fault) return null;
    fault.left--;
    return fault.error(requestId);
  }
}

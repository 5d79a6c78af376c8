/**
 * Readers for fields of a webhook payload. A delivery is signed by GitHub, but
 * its fields still hold user text and may be missing or of another type than
 * documented; a field of the wrong type reads as absent, never as a crash.
 */

/** A non-empty string, else undefined. */
export const str = (value: unknown): string | undefined => (typeof value === 'string' && value.length > 0 ? value : undefined);

/** A JSON object (not null, not an array), else undefined. */
export function obj<T extends object>(value: T | null | undefined): T | undefined;
export function obj<T extends object = Record<string, unknown>>(value: unknown): T | undefined;
export function obj(value: unknown): object | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : undefined;
}

/** An array, else an empty one. */
export const list = (value: unknown): readonly unknown[] => (Array.isArray(value) ? value : []);

/** No time from outside is earlier than this: GitHub itself began in 2008, git in 2005. */
export const EARLIEST_TIME = Date.UTC(2005, 0, 1);
/** Nor later than this much ahead of our clock (clocks drift; a day is generous). */
export const LATEST_AHEAD_MS = 24 * 3600 * 1000;

/**
 * A time from outside (a payload, the public feed): ISO 8601 text, or Unix
 * seconds (GitHub's `pushed_at` in push payloads), as normalised ISO text;
 * null when it does not read as a time or lies outside 2005-01-01 … now + 1
 * day. Every such time that is stored goes through here: alerts, notices and
 * the dashboard do date arithmetic on it, and a year of −271821 (still a
 * valid JavaScript date) made the usage chart build billions of bars.
 */
export function isoTime(value: unknown, now: number = Date.now()): string | null {
  let t: number;
  if (typeof value === 'string') t = value.length <= 64 ? Date.parse(value) : NaN;
  else if (typeof value === 'number') t = value * 1000;
  else return null;
  if (!Number.isFinite(t) || t < EARLIEST_TIME || t > now + LATEST_AHEAD_MS) return null;
  return new Date(t).toISOString();
}

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

/**
 * A time: ISO 8601 text as given, or Unix seconds (GitHub's `pushed_at` in
 * push payloads) as ISO text; null when it does not read as a time (alerts
 * and notices do date arithmetic on it, and an invalid date throws there).
 */
export function isoTime(value: unknown): string | null {
  if (typeof value === 'string') return value.length <= 64 && Number.isFinite(Date.parse(value)) ? value : null;
  if (typeof value !== 'number') return null;
  const when = new Date(value * 1000);
  return Number.isNaN(when.getTime()) ? null : when.toISOString();
}

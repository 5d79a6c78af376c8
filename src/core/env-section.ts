/**
 * The environment as one part of the service sees it: only the variables that part declares (its `…_ENV` list).
 * config.ts reads them from the environment; the part parses and validates them, so a variable it did not declare
 * is a type error rather than a silent default.
 */
export type EnvSection<Names extends readonly string[]> = { readonly [Name in Names[number]]?: string };

/** `value` as a positive whole number; `fallback` when unset or empty. */
export function positiveInt(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  if (!/^\d+$/.test(value) || Number(value) <= 0) throw new Error(`${name} must be a positive whole number, not "${value}"`);
  return Number(value);
}

/** `value` as a whole number, 0 included; `fallback` when unset or empty. */
export function wholeNumber(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  if (!/^\d+$/.test(value)) throw new Error(`${name} must be a whole number (0 or more), not "${value}"`);
  return Number(value);
}

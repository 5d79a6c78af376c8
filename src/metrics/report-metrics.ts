/**
 * Keys reported to the public report endpoint, by what became of them. The
 * label is a fixed word, never the key, its hint or the reported URL.
 */
import { counter } from './registry.js';

/** invalid: failed the checksum (counted on arrival); the others as the exposure worker handled the key. */
export type ReportOutcome = 'invalid' | 'unknown' | 'revoked' | 'already-revoked' | 'expired' | 'alert-only';

export const reportMetrics = {
  reports: () =>
    counter<'outcome'>({
      name: 'neevscan_public_reports_total',
      help: 'Keys reported through POST /api/v1/public/report, by outcome (invalid: failed the checksum; unknown: no such key; revoked; already-revoked; expired; alert-only)',
      labelNames: ['outcome'],
    }),
};

/**
 * The `scan` command's option values that more than one parser needs: commander's in main.ts, the pre-commit fast
 * path's in scan-fast.ts, and runScan's own check. A module of constants, so main.ts can read them without loading
 * the scan itself.
 */
export const SCAN_FORMATS = ['text', 'json', 'sarif'] as const;

/** What `scan` takes when an option is not given. */
export const SCAN_DEFAULTS = { format: 'text', color: true, maxFileSize: '0' } as const;

import { KEY_LENGTH, hasValidKeyAt } from '../key-format/key.js';
import type { Validator } from './types.js';

/** Validators a rule file may name. Each one rejects what only looks like a secret. */
export const VALIDATORS: Readonly<Record<string, Validator>> = {
  /** NeevCloud keys: 43 characters with a CRC-32 checksum (docs/KEY_FORMAT.md). */
  'neev-crc32': (bytes, start, end) => end - start === KEY_LENGTH && hasValidKeyAt(bytes, start),
};

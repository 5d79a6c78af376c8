import type RE2 from 're2';

/** A rule as written in a rule file (rules/*.yaml, or a file given with --rules). */
export interface RuleSpec {
  id: string;
  description: string;
  /** Literal strings, one of which every match contains; a fast search for them gates the regex. */
  keywords: string[];
  /** An RE2 pattern; the secret is capture group `secretGroup` (default: 1 if the pattern has groups, else the match). */
  pattern: string;
  secretGroup?: number;
  /** `token` (default): the secret must not be glued to letters, digits or `_` (docs/KEY_FORMAT.md boundaries). */
  boundary?: 'token' | 'none';
  /** A named check of the secret's own structure, e.g. `neev-crc32`. */
  validator?: string;
  /** How many bytes around a keyword the regex looks at (default 256). */
  window?: number;
  /** What a person should do about a finding, shown in text output. */
  remediation?: string;
  examples: string[];
  negative_examples?: string[];
}

/** Checks the secret bytes `bytes[start, end)`. */
export type Validator = (bytes: Uint8Array, start: number, end: number) => boolean;

/** A rule ready to run: its regex compiled with RE2, its keywords as bytes. */
export interface CompiledRule {
  id: string;
  description: string;
  remediation: string | undefined;
  keywords: Buffer[];
  regex: RE2;
  secretGroup: number;
  boundary: 'token' | 'none';
  validator: Validator | undefined;
  window: number;
  /** The file the rule came from, for error messages. */
  file: string;
  spec: RuleSpec;
}

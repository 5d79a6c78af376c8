/** One secret found at one place, as every output format reports it. Never holds the secret itself. */
export interface Finding {
  ruleId: string;
  /** Relative to the scanned folder, or to the repo root for --staged and --git; `-` for stdin. */
  file: string;
  line: number;
  /** 1-based, in UTF-16 code units. */
  column: number;
  endLine: number;
  endColumn: number;
  commit: string | null;
  secretSha256: string;
  redacted: string;
  fingerprint: string;
}

/** What the engine knows of a finding before a source says where the bytes came from. */
export type Located = Omit<Finding, 'file' | 'commit' | 'fingerprint'> & {
  /** Byte offset of the secret within its input. */
  offset: number;
  /** True when the secret's line carries a `neevscan:allow` marker. */
  allowed: boolean;
};

import { readFileSync, writeFileSync } from 'node:fs';
import { NeevscanError } from '../errors.js';
import type { Finding } from '../scanner/finding.js';

/**
 * A baseline names accepted secrets by sha256, not by place, so it survives
 * edits that move lines and files. It never holds a secret: only its hash, the
 * rule and the redacted form, for people reading the file.
 */
export interface Baseline {
  version: 1;
  secrets: Array<{ secretSha256: string; ruleId: string; redacted: string }>;
}

export function readBaseline(file: string): Set<string> {
  let doc: Baseline;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8')) as Baseline;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new NeevscanError(`cannot read baseline ${file}: ${code ?? 'not valid JSON'}`, 'bad-baseline');
  }
  if (
    doc?.version !== 1 ||
    !Array.isArray(doc.secrets) ||
    doc.secrets.some((s) => typeof s?.secretSha256 !== 'string' || !/^[0-9a-f]{64}$/.test(s.secretSha256))
  ) {
    throw new NeevscanError(`cannot read baseline ${file}: expected {"version":1,"secrets":[{"secretSha256":…}]}`, 'bad-baseline');
  }
  return new Set(doc.secrets.map((s) => s.secretSha256));
}

export function writeBaseline(file: string, findings: readonly Finding[]): number {
  const bySecret = new Map<string, Baseline['secrets'][number]>();
  for (const f of findings) bySecret.set(f.secretSha256, { secretSha256: f.secretSha256, ruleId: f.ruleId, redacted: f.redacted });
  const doc: Baseline = { version: 1, secrets: [...bySecret.values()].sort((a, b) => a.secretSha256.localeCompare(b.secretSha256)) };
  try {
    writeFileSync(file, JSON.stringify(doc, null, 2) + '\n');
  } catch (error) {
    throw new NeevscanError(`cannot write baseline ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, 'bad-output');
  }
  return doc.secrets.length;
}

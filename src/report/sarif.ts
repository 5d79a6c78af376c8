import type { Log, ReportingDescriptor, Result } from 'sarif';
import type { ReportInput } from './types.js';
import { VERSION } from '../version.js';

const INFORMATION_URI = 'https://github.com/neevcloud/neevscan';

/** A relative path as a SARIF artifact URI: `/`-separated, each segment percent-encoded. */
function toUri(file: string): string {
  return file.split('/').map(encodeURIComponent).join('/');
}

/**
 * `--format sarif`: SARIF 2.1.0 as GitHub code scanning takes it (upload with
 * github/codeql-action/upload-sarif). Columns are UTF-16 code units, SARIF's default.
 */
export function renderSarif(input: ReportInput): string {
  const rules: ReportingDescriptor[] = input.rules.map((rule) => ({
    id: rule.id,
    name: rule.id.replace(/(^|[-_.])([a-z0-9])/g, (_m, _s, c: string) => c.toUpperCase()),
    shortDescription: { text: rule.description },
    fullDescription: { text: rule.description },
    help: {
      text: rule.remediation ?? `Remove the secret and revoke it.`,
      markdown: rule.remediation ?? 'Remove the secret and revoke it.',
    },
    defaultConfiguration: { level: 'error' as const },
    properties: { tags: ['security', 'secret'], precision: 'very-high', 'security-severity': '9.0' },
  }));
  const index = new Map(input.rules.map((rule, i) => [rule.id, i]));
  const results: Result[] = input.findings.map((f) => ({
    ruleId: f.ruleId,
    ruleIndex: index.get(f.ruleId) ?? 0,
    level: 'error' as const,
    message: {
      text: `${input.rules[index.get(f.ruleId) ?? 0]?.description ?? f.ruleId} ${f.redacted}${f.commit ? ` (commit ${f.commit})` : ''}`,
    },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: toUri(f.file), uriBaseId: '%SRCROOT%' },
          region: { startLine: f.line, startColumn: f.column, endLine: f.endLine, endColumn: f.endColumn },
        },
      },
    ],
    partialFingerprints: { 'neevscan/v1': f.fingerprint },
    properties: { secretSha256: f.secretSha256, redacted: f.redacted, ...(f.commit ? { commit: f.commit } : {}) },
  }));
  const sarif: Log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'neevscan', semanticVersion: VERSION, informationUri: INFORMATION_URI, rules } },
        columnKind: 'utf16CodeUnits' as const,
        results,
      },
    ],
  };
  return JSON.stringify(sarif, null, 2) + '\n';
}

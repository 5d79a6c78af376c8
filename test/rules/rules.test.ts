import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkExamples } from '../../src/rules/check.js';
import { loadRules } from '../../src/rules/load.js';
import { scanBuffer } from '../../src/scanner/scan-buffer.js';
import { tempDir } from '../helpers/tmp.js';
import { neevscan } from '../helpers/cli.js';

function ruleFile(yaml: string): string {
  const file = join(tempDir(), 'rules.yaml');
  writeFileSync(file, yaml);
  return file;
}

const AWS_LIKE = `rules:
  - id: example-access-key
    description: Example access key id
    keywords: [AKIA]
    pattern: 'AKIA[0-9A-Z]{16}'
    examples: ['id = AKIAABCDEFGHIJKLMNOP']
    negative_examples: ['AKIAABCDEFGHIJKLMNOPQ', 'xAKIAABCDEFGHIJKLMNOP']
`;

describe('rules as data', () => {
  it('every built-in rule finds its examples and none of its negative examples', () => {
    const rules = loadRules();
    expect(rules.map((r) => r.id)).toContain('neevcloud-api-key');
    for (const rule of rules) {
      expect(rule.spec.examples.length).toBeGreaterThan(0);
      expect(checkExamples(rule)).toEqual([]);
    }
  });

  it('loads a user rule file that adds another provider', () => {
    const rules = loadRules([ruleFile(AWS_LIKE)]);
    const found = scanBuffer(Buffer.from('export AWS_ID=AKIAZZZZZZZZZZZZZZZZ\n'), rules);
    expect(found).toMatchObject([{ ruleId: 'example-access-key', line: 1, column: 15, redacted: 'AKIA…ZZZZ' }]);
  });

  it('takes the secret from a capture group', () => {
    const file = ruleFile(`rules:
  - id: generic-token
    description: A token assigned to token=
    keywords: ['token=']
    pattern: 'token=([a-f0-9]{32})'
    examples: ['token=0123456789abcdef0123456789abcdef']
`);
    const found = scanBuffer(Buffer.from('x token=0123456789abcdef0123456789abcdef\n'), loadRules([file]));
    expect(found).toMatchObject([{ ruleId: 'generic-token', column: 9 }]);
  });

  it.each([
    [
      'a pattern RE2 cannot compile (look-behind)',
      `rules:\n  - id: bad-re2\n    description: d\n    keywords: [b]\n    pattern: '(?<=a)b'\n    examples: [ab]\n`,
      /bad-re2: pattern does not compile under RE2/,
    ],
    [
      'a back-reference',
      `rules:\n  - id: backref\n    description: d\n    keywords: [a]\n    pattern: '(a)\\1'\n    examples: [aa]\n`,
      /backref: pattern does not compile under RE2/,
    ],
    [
      'an example the rule misses',
      `rules:\n  - id: misses\n    description: d\n    keywords: [abc]\n    pattern: 'abc[0-9]{4}'\n    examples: ['abc12']\n`,
      /misses: example 1 is not found/,
    ],
    [
      'a negative example the rule finds',
      `rules:\n  - id: too-wide\n    description: d\n    keywords: [abc]\n    pattern: 'abc[0-9]{4}'\n    examples: ['abc1234']\n    negative_examples: ['abc9999']\n`,
      /too-wide: negative example 1 is found/,
    ],
    ['no examples', `rules:\n  - id: untested\n    description: d\n    pattern: 'x'\n`, /untested: `examples` must be a list/],
    [
      'an unknown validator',
      `rules:\n  - id: v\n    description: d\n    pattern: 'x'\n    validator: luhn\n    examples: [x]\n`,
      /unknown validator `luhn`/,
    ],
    [
      'an unknown field',
      `rules:\n  - id: typo\n    description: d\n    pattern: 'x'\n    keyword: [x]\n    examples: [x]\n`,
      /typo: unknown field `keyword`/,
    ],
    ['invalid YAML', `rules: [\n`, /not valid YAML/],
    ['no rules list', `id: x\n`, /top-level `rules:` list/],
    [
      'an id the built-in rules use',
      `rules:\n  - id: neevcloud-api-key\n    description: d\n    pattern: 'x'\n    examples: [x]\n`,
      /id already used/,
    ],
  ])('refuses %s, naming the file and rule', (_what, yaml, message) => {
    const file = ruleFile(yaml);
    expect(() => loadRules([file])).toThrow(message);
    expect(() => loadRules([file])).toThrow(file);
  });

  it('keeps a catastrophic-backtracking pattern linear under RE2', () => {
    const file = ruleFile(`rules:
  - id: evil
    description: (a+)+$ backtracks exponentially in a backtracking engine
    keywords: [a]
    pattern: '(a+)+$'
    boundary: none
    window: 65536
    examples: ['aaa']
`);
    const rules = loadRules([file]);
    const input = Buffer.from('a'.repeat(50_000) + '!');
    const started = performance.now();
    scanBuffer(input, rules);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('the CLI refuses a bad rule file with one line and exit 2', () => {
    const file = ruleFile(`rules:\n  - id: bad-re2\n    description: d\n    pattern: '(?<=a)b'\n    examples: [ab]\n`);
    const run = neevscan(['scan', '--rules', file, '-'], { input: 'nothing' });
    expect(run.status).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain('bad-re2');
  });

  it('`neevscan rules` checks rule files', () => {
    const ok = neevscan(['rules', ruleFile(AWS_LIKE)]);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain('ok  example-access-key');
  });
});

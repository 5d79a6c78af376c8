import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateKey, sha256Hex } from '../../src/key-format/key.js';
import { neevscan, neevscanJson } from '../helpers/cli.js';
import { tempDir, writeTree } from '../helpers/tmp.js';

function treeWithKeys() {
  const root = tempDir();
  const keys = [generateKey(), generateKey()];
  writeTree(root, { 'dir with space/app.env': `KEY=${keys[0]}\n`, 'b.js': `const k = "${keys[1]}";\n` });
  return { root, keys };
}

describe('output formats', () => {
  it('text: file:line:column, rule, redacted key and what to do; never the key', () => {
    const { root, keys } = treeWithKeys();
    const run = neevscan(['scan', root]);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain(`b.js:1:12  neevcloud-api-key  neev_…${keys[1]!.slice(-4)}`);
    expect(run.stdout).toContain('dir with space/app.env:1:5');
    expect(run.stdout).toContain('What to do');
    expect(run.stdout).toContain('Revoke this key');
    expect(run.stdout).toContain('2 secrets found');
    for (const key of keys) expect(run.stdout + run.stderr).not.toContain(key.slice(5, 37));
    expect(run.stdout).not.toContain('\x1b['); // not a TTY: no colour
  });

  it('json: the documented object', () => {
    const { root, keys } = treeWithKeys();
    const { report, stdout } = neevscanJson(['scan', root]);
    expect(report.version).toBe(1);
    expect(report.findings.map((f) => f.secretSha256).sort()).toEqual(keys.map(sha256Hex).sort());
    expect(report.stats).toMatchObject({ files: 2, bytes: expect.any(Number), durationMs: expect.any(Number) });
    for (const key of keys) expect(stdout).not.toContain(key.slice(5, 37));
  });

  it('sarif: 2.1.0 with rules, regions in UTF-16 columns and fingerprints, as GitHub code scanning takes it', () => {
    const { root, keys } = treeWithKeys();
    const run = neevscan(['scan', root, '--format', 'sarif']);
    expect(run.status).toBe(1);
    const sarif = JSON.parse(run.stdout);
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.$schema).toContain('sarif-2.1.0');
    const [theRun] = sarif.runs;
    expect(theRun.tool.driver.name).toBe('neevscan');
    expect(theRun.tool.driver.rules[0]).toMatchObject({
      id: 'neevcloud-api-key',
      shortDescription: { text: 'NeevCloud API key' },
      help: { text: expect.any(String) },
    });
    const uris = theRun.results.map((r: any) => r.locations[0].physicalLocation.artifactLocation.uri).sort();
    expect(uris).toEqual(['b.js', 'dir%20with%20space/app.env']);
    const b = theRun.results.find((r: any) => r.locations[0].physicalLocation.artifactLocation.uri === 'b.js');
    expect(b).toMatchObject({
      ruleId: 'neevcloud-api-key',
      ruleIndex: 0,
      level: 'error',
      partialFingerprints: { 'neevscan/v1': expect.stringMatching(/^[0-9a-f]{32}$/) },
    });
    expect(b.locations[0].physicalLocation.region).toEqual({ startLine: 1, startColumn: 12, endLine: 1, endColumn: 55 });
    expect(b.message.text).toContain('neev_…');
    for (const key of keys) expect(run.stdout).not.toContain(key.slice(5, 37));
  });

  it('--output writes the report to a file and a summary to stderr', () => {
    const { root } = treeWithKeys();
    const out = join(tempDir(), 'report.json');
    const run = neevscan(['scan', root, '--format', 'json', '--output', out]);
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(JSON.parse(readFileSync(out, 'utf8')).findings).toHaveLength(2);
    expect(run.stderr).toContain('2 secrets found');
  });

  it('colour only when asked for and on a terminal: --no-color is accepted', () => {
    const { root } = treeWithKeys();
    expect(neevscan(['scan', root, '--no-color']).stdout).not.toContain('\x1b[');
  });
});

describe('suppressions', () => {
  it('neevscan:allow on the same line suppresses that key only', () => {
    const root = tempDir();
    writeTree(root, { 'test.py': `A = "${generateKey()}"  # neevscan:allow\nB = "${generateKey()}"\n` });
    const { report } = neevscanJson(['scan', root]);
    expect(report.findings).toMatchObject([{ line: 2 }]);
  });

  it('a baseline, keyed by sha256, survives edits that move lines and files', () => {
    const root = tempDir();
    const [old, fresh] = [generateKey(), generateKey()];
    writeTree(root, { 'a.txt': `x\n${old}\n` });
    const baseline = join(tempDir(), 'baseline.json');
    const write = neevscan(['scan', root, '--write-baseline', baseline]);
    expect(write.status).toBe(0);
    const stored = readFileSync(baseline, 'utf8');
    expect(stored).toContain(sha256Hex(old));
    expect(stored).not.toContain(old.slice(5, 37));

    // Move the old key to another file and line, and add a new one.
    writeTree(root, { 'a.txt': 'x\n', 'moved/b.txt': `\n\n\n  ${old}\n${fresh}\n` });
    const { status, report } = neevscanJson(['scan', root, '--baseline', baseline]);
    expect(status).toBe(1);
    expect(report.findings.map((f) => f.secretSha256)).toEqual([sha256Hex(fresh)]);
  });

  it('a baseline that is not one is an error', () => {
    const bad = join(tempDir(), 'b.json');
    writeFileSync(bad, '{"nope":1}');
    const run = neevscan(['scan', '-', '--baseline', bad], { input: '' });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('cannot read baseline');
  });
});

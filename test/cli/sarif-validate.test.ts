/**
 * `--format sarif` as GitHub code scanning's own checks see it: Microsoft's
 * SARIF Multitool (the npm package carries the binary) validates the output
 * of a folder scan and of a `--git` scan, both with findings, against the
 * SARIF 2.1.0 schema and its SARIF and GitHub (`Gh`) rules. Any error,
 * warning or note fails the test.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { generateKey } from '../../src/key-format/key.js';
import { neevscan } from '../helpers/cli.js';
import { git, gitRepo, tempDir, writeTree } from '../helpers/tmp.js';

const MULTITOOL = fileURLToPath(new URL('../../node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool', import.meta.url));

/** What the Multitool reports about `file`: one line per result (level, rule, message). */
function validate(file: string): string[] {
  const log = join(tempDir(), 'validation.sarif');
  const run = spawnSync(MULTITOOL, ['validate', file, '--rule-kind', 'Gh;Sarif', '--output', log], {
    encoding: 'utf8',
    // A .NET single-file app: no telemetry, no first-run banner, no globalization data needed.
    env: { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: '1', DOTNET_SYSTEM_GLOBALIZATION_INVARIANT: '1' },
  });
  expect(run.status, run.stdout + run.stderr).toBe(0);
  const results = JSON.parse(readFileSync(log, 'utf8')).runs[0].results as Array<{
    level?: string;
    ruleId: string;
    message: { text?: string };
  }>;
  return results.map((r) => `${r.level ?? 'warning'} ${r.ruleId}: ${r.message.text ?? JSON.stringify(r.message)}`);
}

describe('SARIF for GitHub code scanning', () => {
  it.skipIf(process.platform !== 'linux' || process.arch !== 'x64')(
    'a folder scan and a --git scan, with findings, pass the SARIF Multitool with no error, warning or note',
    () => {
      const root = gitRepo();
      writeTree(root, {
        'config/app.env': `NAME=demo\nNEEV_API_KEY=${generateKey()}\n`,
        'docs/a file with spaces #1 ü.md': `key: ${generateKey()}\n`,
        'src/main.ts': `const k = '${generateKey()}';\n`,
      });
      git(root, 'add', '-A');
      git(root, 'commit', '-qm', 'keys');
      const out = tempDir();
      for (const [name, args] of [
        ['folder', ['scan', '.']],
        ['git', ['scan', '--git']],
      ] as const) {
        const file = join(out, `${name}.sarif`);
        const run = neevscan([...args, '--format', 'sarif', '--output', file], { cwd: root });
        expect(run.status, run.stderr).toBe(1);
        expect(JSON.parse(readFileSync(file, 'utf8')).runs[0].results).toHaveLength(3);
        expect(validate(file), `${name} scan`).toEqual([]);
      }
    },
    120_000,
  );

  it('the validator is not blind: the same SARIF without the tool informationUri is reported (SARIF2005)', () => {
    const root = tempDir();
    writeTree(root, { 'k.env': `K=${generateKey()}\n` });
    const run = neevscan(['scan', '.', '--format', 'sarif'], { cwd: root });
    const log = JSON.parse(run.stdout);
    delete log.runs[0].tool.driver.informationUri;
    const file = join(root, 'broken.sarif');
    writeFileSync(file, JSON.stringify(log));
    expect(validate(file).join('\n')).toContain('SARIF2005');
  }, 60_000);
});

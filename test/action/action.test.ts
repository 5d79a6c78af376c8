/**
 * action.yml (the composite GitHub Action) run as the runner runs it, without
 * network: each `run:` step goes to `bash --noprofile --norc -eo pipefail`
 * (GitHub's `shell: bash`) with the environment GitHub sets
 * (GITHUB_WORKSPACE, GITHUB_ACTION_PATH, GITHUB_OUTPUT, RUNNER_TEMP, the
 * step's `env:` with its `${{ inputs.* }}` and `${{ steps.*.outputs.* }}`
 * filled in). The `uses:` steps (setup-node, upload-sarif) are not run; the
 * test checks what they are given: the SARIF file the scan step wrote.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { generateKey } from '../../src/key-format/key.js';
import { git, gitRepo, tempDir, writeTree } from '../helpers/tmp.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  shell?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
  'working-directory'?: string;
}
interface Action {
  inputs: Record<string, { default?: string }>;
  outputs: Record<string, { value: string }>;
  runs: { using: string; steps: Step[] };
}

const action = parse(readFileSync(join(ROOT, 'action.yml'), 'utf8')) as Action;

interface Context {
  inputs: Record<string, string>;
  steps: Record<string, Record<string, string>>;
}

/** `${{ inputs.x }}` and `${{ steps.id.outputs.x }}`; any other expression fails the test (it would need a runner). */
function expand(text: string, context: Context): string {
  return text.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_all, expression: string) => {
    let m = /^inputs\.([\w-]+)$/.exec(expression);
    if (m) return context.inputs[m[1]!] ?? '';
    m = /^steps\.([\w-]+)\.outputs\.([\w-]+)$/.exec(expression);
    if (m) return context.steps[m[1]!]?.[m[2]!] ?? '';
    throw new Error(`an expression this test cannot evaluate: ${expression}`);
  });
}

/** Runs the action's steps in `workspace` with `given` inputs; returns each run step's status and output, and the step outputs. */
function runAction(workspace: string, given: Record<string, string>) {
  const inputs = Object.fromEntries(Object.entries(action.inputs).map(([name, spec]) => [name, given[name] ?? spec.default ?? '']));
  const context: Context = { inputs, steps: {} };
  const temp = tempDir();
  const ran: Array<{ name: string; status: number | null; output: string }> = [];
  for (const [i, step] of action.runs.steps.entries()) {
    if (step.uses) continue;
    expect(step.shell, `${step.name}: a composite run step must name its shell`).toBe('bash');
    const outputFile = join(temp, `output-${i}`);
    writeFileSync(outputFile, '');
    const script = join(temp, `step-${i}.sh`);
    writeFileSync(script, step.run!);
    const env = Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, expand(String(v), context)]));
    const run = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], {
      cwd: join(workspace, expand(step['working-directory'] ?? '.', context)),
      env: {
        ...process.env,
        ...env,
        NO_COLOR: '1',
        CI: 'true',
        GITHUB_ACTIONS: 'true',
        GITHUB_WORKSPACE: workspace,
        GITHUB_ACTION_PATH: ROOT,
        GITHUB_OUTPUT: outputFile,
        RUNNER_TEMP: temp,
      },
      encoding: 'utf8',
    });
    ran.push({ name: step.name ?? step.id ?? String(i), status: run.status, output: run.stdout + run.stderr });
    if (step.id) {
      context.steps[step.id] = Object.fromEntries(
        readFileSync(outputFile, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
      );
    }
    if (run.status !== 0) break; // GitHub stops at a failed step (the remaining ones have no `if: always()`)
  }
  return { ran, context, step: (name: string) => ran.find((r) => r.name === name) };
}

const upload = action.runs.steps.find((s) => s.uses?.startsWith('github/codeql-action/upload-sarif@'))!;

describe('the GitHub Action (action.yml)', () => {
  it('is a composite action: setup-node with the node-version input, then install, scan, upload-sarif with the scan step’s file, verdict', () => {
    expect(action.runs.using).toBe('composite');
    expect(action.runs.steps.map((s) => s.uses?.split('@')[0] ?? s.name)).toEqual([
      'actions/setup-node',
      'Install neevscan',
      'Scan',
      'github/codeql-action/upload-sarif',
      'Verdict',
    ]);
    expect(action.runs.steps[0]!.with).toEqual({ 'node-version': '${{ inputs.node-version }}' });
    expect(upload.with!.sarif_file).toBe('${{ steps.scan.outputs.sarif-file }}');
    // The upload runs whether or not secrets were found, and only when asked.
    expect(upload.if).toContain("inputs.upload == 'true'");
    expect(upload.if).toContain('!cancelled()');
    expect(action.outputs['sarif-file']!.value).toBe('${{ steps.scan.outputs.sarif-file }}');
  });

  it('a repository holding a key: the SARIF for upload-sarif names it, the job fails after the upload; fail-on-findings: false lets it pass', () => {
    const repo = gitRepo();
    const key = generateKey();
    writeTree(repo, { 'config/app.env': `NEEV_API_KEY=${key}\n`, 'README.md': '# demo\n' });
    git(repo, 'add', '-A');
    git(repo, 'commit', '-qm', 'a key');

    const { ran, context, step } = runAction(repo, {});
    expect(step('Install neevscan')?.status, step('Install neevscan')?.output).toBe(0);
    expect(step('Scan')?.status, step('Scan')?.output).toBe(0);
    expect(context.steps.scan).toEqual({ findings: '1', 'sarif-file': join(repo, 'neevscan.sarif') });
    const sarifFile = expand(upload.with!.sarif_file!, context);
    expect(existsSync(sarifFile)).toBe(true);
    const sarif = JSON.parse(readFileSync(sarifFile, 'utf8'));
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri).toBe('config/app.env');
    expect(step('Verdict')?.status).toBe(1);
    expect(step('Verdict')?.output).toContain('::error title=neevscan::1 secret(s) found');
    for (const r of ran) expect(r.output).not.toContain(key.slice(5, 37));

    expect(runAction(repo, { 'fail-on-findings': 'false' }).step('Verdict')?.status).toBe(0);
    // History: the key is found in the commit that added it even once it is gone from the tree.
    git(repo, 'rm', '-q', 'config/app.env');
    git(repo, 'commit', '-qm', 'remove it');
    const history = runAction(repo, { args: '--git', 'sarif-file': 'history.sarif' });
    expect(history.context.steps.scan).toEqual({ findings: '1', 'sarif-file': join(repo, 'history.sarif') });
    expect(history.step('Verdict')?.status).toBe(1);
  });

  it('a clean repository passes with 0 findings and a SARIF file to upload; a bad argument fails the scan step (exit 2)', () => {
    const repo = gitRepo();
    writeTree(repo, { 'src/app.ts': 'export const key = process.env.NEEV_API_KEY;\n' });
    const clean = runAction(repo, {});
    expect(clean.context.steps.scan).toEqual({ findings: '0', 'sarif-file': join(repo, 'neevscan.sarif') });
    expect(clean.step('Verdict')?.status).toBe(0);
    expect(JSON.parse(readFileSync(join(repo, 'neevscan.sarif'), 'utf8')).runs[0].results).toEqual([]);

    const bad = runAction(repo, { args: '. --max-file-size lots' });
    expect(bad.step('Scan')?.status).toBe(2);
    expect(bad.step('Scan')?.output).toContain('--max-file-size takes a whole number');
    expect(bad.step('Verdict')).toBeUndefined();
  });

  it('an input cannot become shell code', () => {
    const repo = gitRepo();
    writeTree(repo, { 'a.txt': 'nothing\n' });
    const { step } = runAction(repo, { args: '$(touch pwned) ; touch pwned2', 'sarif-file': 'x.sarif' });
    expect(step('Scan')?.status).toBe(2);
    expect(existsSync(join(repo, 'pwned'))).toBe(false);
    expect(existsSync(join(repo, 'pwned2'))).toBe(false);
  });
});

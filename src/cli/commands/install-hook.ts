import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NeevscanError } from '../../errors.js';
import { terminalSafe } from '../../report/terminal-safe.js';
import { repoRoot, runGit } from '../../sources/git/run.js';

export const HOOK_MARKER = '# neevscan pre-commit hook';
export const PREVIOUS_HOOK = 'pre-commit.neevscan-previous';

/** The hook script. It chains the hook that was there before, then scans what is staged. */
export function hookScript(nodePath: string, binPath: string): string {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  return `#!/bin/sh
${HOOK_MARKER} (installed by \`neevscan install-hook\`; reinstalling replaces this file).
# It runs the hook that was here before (kept as ${PREVIOUS_HOOK}), then stops the
# commit if a secret is staged. Skip it once with \`git commit --no-verify\`.
hooks_dir=$(dirname "$0")
if [ -x "$hooks_dir/${PREVIOUS_HOOK}" ]; then
  "$hooks_dir/${PREVIOUS_HOOK}" "$@" || exit $?
fi
node_bin=${q(nodePath)}
[ -x "$node_bin" ] || node_bin=node
neevscan_bin=${q(binPath)}
if [ -f "$neevscan_bin" ]; then
  exec "$node_bin" "$neevscan_bin" scan --staged
elif command -v neevscan >/dev/null 2>&1; then
  exec neevscan scan --staged
else
  exec npx --no-install neevscan scan --staged
fi
`;
}

/**
 * `neevscan install-hook`: writes the pre-commit hook where git looks for hooks
 * (honouring core.hooksPath). An existing hook of someone else's is kept, renamed,
 * and run first; our own hook is simply replaced.
 */
export async function runInstallHook(cwd: string): Promise<number> {
  await repoRoot(cwd); // a clear error outside a repository
  const hooksDir = resolve(cwd, (await runGit(['rev-parse', '--git-path', 'hooks'], cwd)).toString('utf8').trim());
  mkdirSync(hooksDir, { recursive: true });
  const hook = join(hooksDir, 'pre-commit');
  const previous = join(hooksDir, PREVIOUS_HOOK);
  let note = 'installed';
  if (existsSync(hook)) {
    const current = readFileSync(hook, 'utf8');
    if (current.includes(HOOK_MARKER)) {
      note = 'updated';
    } else {
      if (existsSync(previous)) {
        throw new NeevscanError(
          `${hook} exists and so does ${previous}: move one of them away, then run install-hook again`,
          'hook-conflict',
        );
      }
      renameSync(hook, previous);
      chmodSync(previous, 0o755);
      note = `installed; the existing hook was kept as ${PREVIOUS_HOOK} and runs first`;
    }
  }
  const binPath = fileURLToPath(new URL('../../../bin/neevscan.js', import.meta.url));
  writeFileSync(hook, hookScript(process.execPath, binPath), { mode: 0o755 });
  chmodSync(hook, 0o755);
  process.stdout.write(`neevscan: pre-commit hook ${note}: ${terminalSafe(hook)}\n`);
  return 0;
}

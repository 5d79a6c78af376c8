import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanLogsArchive } from '../../src/github/ci-log-archive.js';
import { generateKey, sha256Hex } from '../../src/key-format/key.js';
import { writeZip } from '../helpers/github/run-logs.js';
import { BUILTIN } from '../helpers/rules.js';
import { tempDir } from '../helpers/tmp.js';

const line = (i: number, text: string) => `2026-12-02T10:00:00.${String(i).padStart(7, '0')}Z ${text}`;

function archive(entries: Array<{ path: string; text: string }>, store = false): string {
  const file = join(tempDir(), 'logs.zip');
  writeFileSync(file, writeZip(entries, store));
  return file;
}

describe('a GitHub Actions logs archive, read entry by entry', () => {
  it("finds a key by job, step and line across many chunks, and reads a job's whole log only when its steps are absent", async () => {
    const key = generateKey();
    const other = generateKey();
    const long = Array.from({ length: 40_000 }, (_, i) => line(i, `compiling module ${i}`));
    long.push(line(40_000, `export NEEV_API_KEY=${key}`));
    const file = archive([
      { path: '0_build.txt', text: long.join('\n') },
      { path: 'build/2_Compile.txt', text: long.join('\n') },
      { path: '1_deploy.txt', text: `${line(0, 'deploying')}\n${line(1, other)}\n` },
    ]);
    const scan = await scanLogsArchive(file, BUILTIN);
    expect(scan.notRead).toEqual([]);
    expect(scan.logs).toBe(2);
    expect(scan.findings).toEqual([
      expect.objectContaining({ job: 'deploy', step: '', line: 2, secretSha256: sha256Hex(other) }),
      expect.objectContaining({ job: 'build', step: '2_Compile', line: 40_001, secretSha256: sha256Hex(key) }),
    ]);
    expect(JSON.stringify(scan)).not.toContain(key);
  });

  it('reports what it did not read (an entry past its cap, entries past the budget or the count), never clean', async () => {
    const key = generateKey();
    const big = Array.from({ length: 5000 }, (_, i) => line(i, 'noise')).join('\n') + `\n${line(5000, key)}\n`;
    const file = archive([
      { path: 'a/1_Big.txt', text: big },
      { path: 'b/1_Small.txt', text: line(0, 'ok') },
      { path: 'c/1_Late.txt', text: line(0, 'ok') },
    ]);
    const scan = await scanLogsArchive(file, BUILTIN, { maxEntryBytes: 10_000, maxTotalBytes: 10_010, maxEntries: 2 });
    expect(scan.findings).toEqual([]);
    expect(scan.notRead).toEqual([
      'entries past the first 2',
      `a/1_Big: read to 10000 bytes of ${Buffer.byteLength(big)}`,
      expect.stringMatching(/^b\/1_Small: read to 10 bytes of \d+$/),
    ]);
  });

  it('a key in a job or step name is stored as its hint', async () => {
    const key = generateKey();
    const file = archive([{ path: `deploy ${key}/1_Run.txt`, text: line(0, `token ${key}`) }]);
    const scan = await scanLogsArchive(file, BUILTIN);
    expect(scan.findings).toHaveLength(1);
    expect(scan.findings[0]!.job).toMatch(/^deploy neev_…\w{4}$/);
    expect(JSON.stringify(scan)).not.toContain(key);
  });
});

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateKey } from '../../src/key-format/key.js';
import { scanBuffer } from '../../src/scanner/scan-buffer.js';
import { scanStream } from '../../src/scanner/scan-stream.js';
import { FileScanner } from '../../src/sources/read-file.js';
import type { FileResult } from '../../src/sources/file-batch.js';
import { walk } from '../../src/sources/walk.js';
// Worker threads load compiled JavaScript, so the pool is tested as built (npm test builds first), with rules loaded there too.
// @ts-expect-error: dist has no type declarations
import { scanFiles } from '../../dist/sources/folder-scan.js';
// @ts-expect-error: dist has no type declarations
import { loadRules } from '../../dist/rules/load.js';
import { BUILTIN } from '../helpers/rules.js';
import { tempDir, writeTree } from '../helpers/tmp.js';

async function* chunked(bytes: Buffer, size: number) {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

/** Lines of many lengths, multi-byte characters and near misses, with keys at the given line numbers. */
function text(lines: number, keyLines: number[]): Buffer {
  const parts: string[] = [];
  for (let i = 0; i < lines; i++) {
    const pad = 'x'.repeat((i * 131) % 300);
    if (keyLines.includes(i)) parts.push(`${pad} é😀 key=${generateKey()}\n`);
    else if (i % 9 === 0) parts.push(`${pad} neev_${'A'.repeat(38)} near miss\n`);
    else parts.push(`${pad} ü line ${i}\n`);
  }
  return Buffer.from(parts.join(''), 'utf8');
}

describe('FileScanner', () => {
  it('streams a large file with the same findings as scanStream, whatever chunk holds the first key', async () => {
    const dir = tempDir();
    for (const keyLines of [[], [5], [1500], [2990], [7, 1200, 2999]]) {
      const bytes = text(3000, keyLines);
      const file = join(dir, 'big.log');
      writeFileSync(file, bytes);
      for (const chunkSize of [2000, 4096, 65536]) {
        const scanner = new FileScanner(BUILTIN, { maxFileSize: 0, wholeFileLimit: 1000, chunkSize }, 1024);
        const expected = await scanStream(chunked(bytes, chunkSize), BUILTIN);
        expect(scanner.scan(file)).toEqual({ kind: 'scanned', findings: expected.findings, bytes: bytes.length });
        expect(expected.findings).toHaveLength(keyLines.length);
      }
    }
  });

  it('reuses one buffer across files of any size without mixing them up', () => {
    const dir = tempDir();
    const scanner = new FileScanner(BUILTIN, { maxFileSize: 0 }, 16);
    // Large, then small, then empty, then mid-sized: each must be judged on its own bytes only.
    const files = [text(400, [399]), Buffer.from('short'), Buffer.alloc(0), text(50, [10]), Buffer.from('neev_')];
    files.forEach((bytes, i) => writeFileSync(join(dir, `f${i}`), bytes));
    files.forEach((bytes, i) => {
      expect(scanner.scan(join(dir, `f${i}`))).toEqual({ kind: 'scanned', findings: scanBuffer(bytes, BUILTIN), bytes: bytes.length });
    });
  });

  it('reports a file it cannot read as skipped and goes on', () => {
    const dir = tempDir();
    const scanner = new FileScanner(BUILTIN, { maxFileSize: 0 });
    expect(scanner.scan(join(dir, 'gone'))).toMatchObject({ kind: 'skipped', reason: 'no longer exists' });
    expect(scanner.scan(dir)).toMatchObject({ kind: 'skipped', reason: 'is a directory' });
  });
});

describe('scanFiles', () => {
  it('reports every file once, in walk order, on several threads as on one', async () => {
    const root = tempDir();
    const files: Record<string, string | Buffer> = {};
    for (let i = 0; i < 700; i++) files[`d${i % 7}/f${i}.txt`] = i % 97 === 0 ? text(20, [3]) : `plain ${i}\n`;
    writeTree(root, files);
    const walked = walk(root, () => {});
    const run = async (threads: number) => {
      const results: FileResult[] = [];
      await scanFiles(walked, {
        rules: loadRules(),
        readOptions: { maxFileSize: 0 },
        threads,
        onResult: (r: FileResult) => results.push(r),
      });
      return results;
    };
    const serial = await run(1);
    const parallel = await run(3);
    expect(serial.map((r) => r.relative)).toEqual(walked.map((f) => f.relative));
    expect(parallel).toEqual(serial);
    expect(parallel.filter((r) => r.findings.length > 0)).toHaveLength(8);
    // A second scan in the same process must not crash it (re2 1.23 in worker threads: see worker-pool.ts).
    expect(await run(3)).toEqual(serial);
  });
});

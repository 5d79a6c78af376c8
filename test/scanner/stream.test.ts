import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateKey } from '../../src/key-format/key.js';
import { scanBuffer } from '../../src/scanner/scan-buffer.js';
import { scanStream } from '../../src/scanner/scan-stream.js';
import { scanFile } from '../../src/sources/read-file.js';
import { BUILTIN } from '../helpers/rules.js';
import { tempDir } from '../helpers/tmp.js';

async function* chunked(bytes: Buffer, size: number) {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

const strip = (found: Awaited<ReturnType<typeof scanStream>>['findings']) =>
  found.map(({ offset, line, column, endLine, endColumn, secretSha256, allowed }) => ({
    offset,
    line,
    column,
    endLine,
    endColumn,
    secretSha256,
    allowed,
  }));

/** A text with keys in many kinds of places, lines of many lengths, multi-byte characters and CRLF. */
function sampleText(keys: number): Buffer {
  const parts: string[] = [];
  for (let i = 0; i < keys; i++) {
    parts.push(
      'x'.repeat((i * 977) % 5000),
      'é😀\r\n'.repeat(i % 7),
      `k${i} = "${generateKey()}"${i % 5 === 0 ? ' # neevscan:allow' : ''}\n`,
    );
    if (i % 3 === 0) parts.push('neev_'.repeat(20), '\n'); // near misses everywhere
  }
  return Buffer.from(parts.join(''), 'utf8');
}

describe('streaming in chunks', () => {
  it('finds each key once, with the same lines and columns as a whole-buffer scan, whatever the chunk size', async () => {
    const bytes = sampleText(60);
    const whole = strip(scanBuffer(bytes, BUILTIN));
    expect(whole).toHaveLength(60);
    for (const size of [1, 7, 43, 44, 100, 1000, 4096, 65536, bytes.length]) {
      const streamed = await scanStream(chunked(bytes, size), BUILTIN);
      expect(streamed.bytes).toBe(bytes.length);
      expect(strip(streamed.findings)).toEqual(whole);
    }
  });

  it('property: a key at any offset, chunked anywhere, is found once at the right place', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(3000), fc.nat(3000), fc.integer({ min: 1, max: 2000 }), async (before, after, size) => {
        const key = generateKey();
        const bytes = Buffer.from(`${'ab\n'.repeat(before)} ${key} ${'é'.repeat(after)}`, 'utf8');
        const streamed = await scanStream(chunked(bytes, size), BUILTIN);
        expect(strip(streamed.findings)).toEqual(strip(scanBuffer(bytes, BUILTIN)));
        expect(streamed.findings).toHaveLength(1);
      }),
      { numRuns: 150 },
    );
  });

  it('reads files above the whole-file limit in chunks with the same results', async () => {
    const dir = tempDir();
    const file = join(dir, 'big.log');
    const bytes = sampleText(30);
    writeFileSync(file, bytes);
    const whole = await scanFile(file, BUILTIN, { maxFileSize: 0 });
    const streamed = await scanFile(file, BUILTIN, { maxFileSize: 0, wholeFileLimit: 1000, chunkSize: 3333 });
    expect(whole.kind).toBe('scanned');
    expect(streamed).toEqual(whole);
  });

  it('skips a file over --max-file-size with a reason', async () => {
    const dir = tempDir();
    const file = join(dir, 'f');
    writeFileSync(file, 'x'.repeat(100));
    expect(await scanFile(file, BUILTIN, { maxFileSize: 99 })).toMatchObject({
      kind: 'skipped',
      reason: expect.stringContaining('--max-file-size'),
    });
  });
});

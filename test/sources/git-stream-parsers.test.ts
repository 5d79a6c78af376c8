/** The streaming parsers behind `scan --git`, fed their input cut at every possible place. */
import { describe, expect, it } from 'vitest';
import { BatchParser } from '../../src/sources/git/cat-file.js';
import { RawLogParser, type LogEntry } from '../../src/sources/git/log-parser.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const C = 'c'.repeat(40);
const Z = '0'.repeat(40);

/** Feeds `input` in two pieces cut at `cut`, then in 3-byte pieces. */
function cuts(input: Buffer): Buffer[][] {
  const ways: Buffer[][] = [];
  for (let cut = 0; cut <= input.length; cut++) ways.push([input.subarray(0, cut), input.subarray(cut)]);
  const small: Buffer[] = [];
  for (let at = 0; at < input.length; at += 3) small.push(input.subarray(at, at + 3));
  ways.push(small);
  return ways;
}

describe('RawLogParser', () => {
  // What `git log --raw -z --format=C%H --diff-merges=combined` prints: a root commit, an
  // empty commit, a merge with a combined entry, and paths that look like markers.
  const log = Buffer.from(
    [
      `C${A}`,
      `\n:000000 100644 ${Z} ${B} A`,
      'dir/é file.txt',
      `:000000 120000 ${Z} ${C} A`,
      'C-looks-like-a-commit',
      `C${B}`,
      `C${C}`,
      '',
      `::100644 100644 100644 ${A} ${B} ${C} MM`,
      ':odd',
      '',
    ].join('\0'),
  );
  const expected: LogEntry[] = [
    { commit: 0, oldModes: ['000000'], newMode: '100644', oldOids: [Z], newOid: B, status: 'A', path: 'dir/é file.txt' },
    { commit: 0, oldModes: ['000000'], newMode: '120000', oldOids: [Z], newOid: C, status: 'A', path: 'C-looks-like-a-commit' },
    { commit: 2, oldModes: ['100644', '100644'], newMode: '100644', oldOids: [A, B], newOid: C, status: 'M', path: ':odd' },
  ];

  it('gives the same entries and commits however its input is cut', () => {
    for (const pieces of cuts(log)) {
      const entries: LogEntry[] = [];
      const parser = new RawLogParser((entry) => entries.push(entry));
      for (const piece of pieces) parser.push(piece);
      parser.end();
      expect(entries).toEqual(expected);
      expect(parser.commits).toEqual([A, B, C]);
    }
  });
});

describe('BatchParser', () => {
  const record = (oid: string, content: Buffer) =>
    Buffer.concat([Buffer.from(`${oid} blob ${content.length}\n`), content, Buffer.from('\n')]);
  const one = Buffer.from('first\nblob\n');
  const two = Buffer.from([0, 0x0a, 0xff, 0x0a]);
  const big = Buffer.from('x'.repeat(30));
  const output = Buffer.concat([record(A, one), Buffer.from(`${Z} missing\n`), record(B, big), record(C, two), record(A, Buffer.alloc(0))]);

  it('splits blobs out of `git cat-file --batch` output however it is cut, skipping missing and over-size ones', () => {
    for (const pieces of cuts(output)) {
      const blobs: Array<[string, string]> = [];
      const skipped: Array<[string, string]> = [];
      const parser = new BatchParser(
        (oid, content) => blobs.push([oid, content.toString('hex')]),
        (oid, reason) => skipped.push([oid, reason]),
        20,
      );
      for (const piece of pieces) parser.push(piece);
      expect(blobs).toEqual([
        [A, one.toString('hex')],
        [C, two.toString('hex')],
        [A, ''],
      ]);
      expect(skipped).toEqual([
        [Z, 'missing from the repository'],
        [B, 'larger than --max-file-size (30 bytes)'],
      ]);
    }
  });
});

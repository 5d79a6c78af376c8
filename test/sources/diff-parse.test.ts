import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inRanges, parseAddedLines, parseRawZ, unquotePath } from '../../src/sources/git/diff.js';

describe('parseAddedLines (git diff -U0)', () => {
  it('reads added ranges per file, new-file line numbers, and binary files', () => {
    const patch = Buffer.from(
      [
        'diff --git a/a.txt b/a.txt',
        'index 1111111..2222222 100644',
        '--- a/a.txt',
        '+++ b/a.txt',
        '@@ -2,0 +3,2 @@ context',
        '+one',
        '+++ not a header',
        '@@ -10 +12 @@',
        '-old',
        '+new',
        '\\ No newline at end of file',
        'diff --git a/img.png b/img.png',
        'index 3333333..4444444 100644',
        'Binary files a/img.png and b/img.png differ',
        'diff --git "a/odd\\tname" "b/odd\\tname"',
        '--- /dev/null',
        '+++ "b/odd\\tname"',
        '@@ -0,0 +1 @@',
        '+x',
      ].join('\n'),
    );
    const files = parseAddedLines(patch);
    expect(files.get('a.txt')).toEqual({
      ranges: [
        [3, 4],
        [12, 12],
      ],
      binary: false,
    });
    expect(files.get('img.png')).toEqual({ ranges: [], binary: true });
    expect(files.get('odd\tname')).toEqual({ ranges: [[1, 1]], binary: false });
    expect(inRanges(4, files.get('a.txt')!.ranges)).toBe(true);
    expect(inRanges(5, files.get('a.txt')!.ranges)).toBe(false);
  });

  it('property: never throws, whatever bytes it is given', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
        parseAddedLines(Buffer.from(bytes));
      }),
      { numRuns: 500 },
    );
  });

  it('property: hunk content, whatever it holds, never becomes a header', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.string({ maxLength: 40 }).map((s) => s.replace(/\n/g, '')),
          { minLength: 1, maxLength: 20 },
        ),
        (lines) => {
          const body = lines.map((l) => `+${l}`).join('\n');
          const patch = Buffer.from(`diff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -0,0 +5,${lines.length} @@\n${body}\n`);
          expect([...parseAddedLines(patch).entries()]).toEqual([['f', { ranges: [[5, 4 + lines.length]], binary: false }]]);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('parseRawZ and unquotePath', () => {
  it('reads modes, object ids, status and paths, with two paths for renames', () => {
    const raw = Buffer.from(':100644 100644 aaa bbb M\0a b.txt\0:100644 100644 ccc ddd R087\0old\0new\0:000000 100644 000 eee A\0ünï\0');
    expect(parseRawZ(raw)).toEqual([
      { oldMode: '100644', newMode: '100644', oldOid: 'aaa', newOid: 'bbb', status: 'M', path: 'a b.txt' },
      { oldMode: '100644', newMode: '100644', oldOid: 'ccc', newOid: 'ddd', status: 'R', oldPath: 'old', path: 'new' },
      { oldMode: '000000', newMode: '100644', oldOid: '000', newOid: 'eee', status: 'A', path: 'ünï' },
    ]);
  });

  it("undoes git's C quoting, octal bytes included", () => {
    expect(unquotePath('"b/tab\\there \\"q\\" back\\\\slash"')).toBe('b/tab\there "q" back\\slash');
    expect(unquotePath('"b/\\303\\251t\\303\\251"')).toBe('b/été');
    expect(unquotePath('b/plain')).toBe('b/plain');
  });
});

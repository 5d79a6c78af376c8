/** The added lines of GitHub patches, numbered as in the new file. */
import { describe, expect, it } from 'vitest';
import { addedLines } from '../../src/github/patch.js';

describe('addedLines', () => {
  it('counts context and added lines, not removed ones or "\\ No newline" markers', () => {
    const patch = [
      '@@ -1,3 +1,4 @@',
      ' a',
      '-b',
      '+B',
      '+++ c is content',
      ' d',
      '\\ No newline at end of file',
      '@@ -10 +11,2 @@',
      '-x',
      '+y',
      '+z',
    ].join('\n');
    expect(addedLines(patch)).toEqual([
      { line: 2, text: 'B' },
      { line: 3, text: '++ c is content' },
      { line: 11, text: 'y' },
      { line: 12, text: 'z' },
    ]);
  });

  it('reads a one-line hunk header without counts, and an empty file addition', () => {
    expect(addedLines('@@ -0,0 +1 @@\n+only')).toEqual([{ line: 1, text: 'only' }]);
    expect(addedLines('')).toEqual([]);
  });

  it('keeps a hunk section heading out of the content', () => {
    expect(addedLines('@@ -5,2 +5,3 @@ function f() {\n ctx\n+new\n ctx')).toEqual([{ line: 6, text: 'new' }]);
  });
});

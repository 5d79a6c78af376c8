/**
 * Properties of the parsers that read what the internet sends: GitHub patches,
 * git's diffs, partner alert bodies and user rule files. Generated inputs,
 * modest run counts (the whole file runs in a few seconds).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { NeevscanError } from '../../src/errors.js';
import { addedLines } from '../../src/github/patch.js';
import { MAX_PARTNER_URL_LENGTH, parsePartnerMatches } from '../../src/github/secret-scanning-payload.js';
import { loadRules } from '../../src/rules/load.js';
import { Locator, utf16Length } from '../../src/scanner/position.js';
import { parseAddedLines, parseRawZ } from '../../src/sources/git/diff.js';
import { tempDir } from '../helpers/tmp.js';

/** A line of text: anything but a newline, and often something that looks like diff syntax. */
const lineText = fc.oneof(
  fc.string({ maxLength: 30 }).map((s) => s.replace(/[\r\n]/g, '')),
  fc.constantFrom(
    '',
    '+',
    '-',
    ' ',
    '++ x',
    '--- a/f',
    '+++ b/f',
    '@@ -1 +1 @@',
    '@@ -0,0 +1,3 @@ x',
    '\\ No newline at end of file',
    'diff --git a/x b/x',
    'Binary files a/x and b/x differ',
  ),
);

type Op = { kind: 'keep' | 'del' | 'add'; text: string };

/** An edit script: the old file is what is kept and deleted, the new file what is kept and added. */
const editScript = fc.array(fc.record({ kind: fc.constantFrom<Op['kind']>('keep', 'keep', 'del', 'add'), text: lineText }), {
  minLength: 1,
  maxLength: 60,
});

interface Hunk {
  oldStart: number;
  oldCount: number;
  newStart: number;
  newCount: number;
  lines: string[];
}

/**
 * Unified-diff hunks for an edit script with `context` lines of context, as
 * diff prints them: a side with no lines is numbered by the line before it.
 */
function hunksOf(ops: Op[], context: number): Hunk[] {
  const oldNo: number[] = [];
  const newNo: number[] = [];
  let o = 0;
  let n = 0;
  for (const op of ops) {
    oldNo.push(o + 1);
    newNo.push(n + 1);
    if (op.kind !== 'add') o++;
    if (op.kind !== 'del') n++;
  }
  const changed = ops.flatMap((op, i) => (op.kind === 'keep' ? [] : [i]));
  const groups: Array<[number, number]> = [];
  for (const i of changed) {
    const from = Math.max(0, i - context);
    const to = Math.min(ops.length - 1, i + context);
    const last = groups.at(-1);
    if (last && from <= last[1] + 1) last[1] = to;
    else groups.push([from, to]);
  }
  return groups.map(([from, to]) => {
    const slice = ops.slice(from, to + 1);
    const oldCount = slice.filter((op) => op.kind !== 'add').length;
    const newCount = slice.filter((op) => op.kind !== 'del').length;
    return {
      oldStart: oldCount === 0 ? oldNo[from]! - 1 : oldNo[from]!,
      oldCount,
      newStart: newCount === 0 ? newNo[from]! - 1 : newNo[from]!,
      newCount,
      lines: slice.map((op) => (op.kind === 'keep' ? ' ' : op.kind === 'del' ? '-' : '+') + op.text),
    };
  });
}

const range = (start: number, count: number) => (count === 1 ? `${start}` : `${start},${count}`);
const header = (h: Hunk, section = '') => `@@ -${range(h.oldStart, h.oldCount)} +${range(h.newStart, h.newCount)} @@${section}`;

describe('property: GitHub patches (addedLines)', () => {
  it('numbers every added line as in the new file, whatever the lines hold, with 0–3 lines of context', () => {
    fc.assert(
      fc.property(editScript, fc.integer({ min: 0, max: 3 }), fc.boolean(), fc.boolean(), (ops, context, sections, noNewline) => {
        const hunks = hunksOf(ops, context);
        let lines = hunks.flatMap((h) => [header(h, sections ? ' function f() {' : ''), ...h.lines]);
        // GitHub ends a file without a final newline with a marker line, after the last line of either side.
        if (noNewline && lines.length > 0) lines = [...lines, '\\ No newline at end of file'];
        const patch = lines.join('\n');

        const newFile = ops.filter((op) => op.kind !== 'del');
        const expected = newFile.flatMap((op, i) => (op.kind === 'add' ? [{ line: i + 1, text: op.text }] : []));
        expect(addedLines(patch)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('an empty context line that lost its leading space still counts', () => {
    fc.assert(
      fc.property(editScript, (ops) => {
        const patch = hunksOf(ops, 3)
          .flatMap((h) => [header(h), ...h.lines.map((l) => (l === ' ' ? '' : l))])
          .join('\n');
        const newFile = ops.filter((op) => op.kind !== 'del');
        expect(addedLines(patch)).toEqual(newFile.flatMap((op, i) => (op.kind === 'add' ? [{ line: i + 1, text: op.text }] : [])));
      }),
      { numRuns: 200 },
    );
  });

  it('never throws on any text, and every line number it gives is positive and each added text is a line of the input', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(lineText, fc.string({ maxLength: 40 })), { maxLength: 40 }), (lines) => {
        const patch = lines.join('\n');
        const inputLines = new Set(patch.split('\n'));
        for (const added of addedLines(patch)) {
          expect(Number.isSafeInteger(added.line)).toBe(true);
          expect(inputLines.has(`+${added.text}`)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});

/** A path git might print: plain, with spaces, or C-quoted with escapes and octal bytes. */
const gitPath = fc.oneof(
  fc.stringMatching(/^[a-z][a-z0-9_./-]{0,20}$/).filter((p) => !p.includes('//') && !p.endsWith('/')),
  fc.constantFrom('dir/with space.txt', 'ünï/cödé.txt'),
);

describe('property: git diff -U0 (parseAddedLines)', () => {
  it('reads the added ranges of each file of a generated multi-file patch, whatever the hunks hold', () => {
    const file = fc.record({ path: gitPath, ops: editScript, binary: fc.boolean() });
    fc.assert(
      fc.property(fc.uniqueArray(file, { selector: (f) => f.path, minLength: 1, maxLength: 5 }), (files) => {
        const out: string[] = [];
        const expected = new Map<string, { ranges: Array<[number, number]>; binary: boolean }>();
        for (const f of files) {
          out.push(`diff --git a/${f.path} b/${f.path}`, 'index 1111111..2222222 100644');
          if (f.binary) {
            out.push(`Binary files a/${f.path} and b/${f.path} differ`);
            expected.set(f.path, { ranges: [], binary: true });
            continue;
          }
          const hunks = hunksOf(f.ops, 0);
          if (hunks.length === 0) continue; // no text change: git prints no ---/+++ lines
          out.push(`--- a/${f.path}`, `+++ b/${f.path}`);
          for (const h of hunks) out.push(header(h, ' ctx'), ...h.lines);
          expected.set(f.path, {
            ranges: hunks.filter((h) => h.newCount > 0).map((h) => [h.newStart, h.newStart + h.newCount - 1]),
            binary: false,
          });
        }
        const parsed = parseAddedLines(Buffer.from(out.join('\n') + '\n'));
        expect(Object.fromEntries(parsed)).toEqual(Object.fromEntries(expected));
      }),
      { numRuns: 200 },
    );
  });

  it('never throws on a generated patch cut short, or with bytes flipped', () => {
    fc.assert(
      fc.property(
        editScript,
        fc.nat(),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        (ops, cut, flips) => {
          const body = hunksOf(ops, 0).flatMap((h) => [header(h), ...h.lines]);
          const bytes = Buffer.from(['diff --git a/f b/f', '--- a/f', '+++ b/f', ...body].join('\n'));
          for (const [at, value] of flips) if (bytes.length > 0) bytes[at % bytes.length] = value;
          parseAddedLines(bytes.subarray(0, bytes.length === 0 ? 0 : cut % (bytes.length + 1)));
          parseRawZ(bytes);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('property: partner alert bodies (parsePartnerMatches)', () => {
  const item = fc.oneof(
    fc.record(
      {
        token: fc.oneof(fc.string({ maxLength: 50 }), fc.jsonValue({ maxDepth: 1 })),
        type: fc.oneof(fc.string({ maxLength: 120 }), fc.jsonValue({ maxDepth: 1 })),
        url: fc.oneof(
          fc.webUrl(),
          fc.constantFrom('javascript:alert(1)', 'data:text/html,x', 'ftp://x', '', 'http://' + 'a'.repeat(MAX_PARTNER_URL_LENGTH)),
          fc.jsonValue({ maxDepth: 1 }),
        ),
        source: fc.oneof(
          fc.constantFrom('content', 'commit', 'gist_content', 'npm', 'Content', '1abc', 'a b', '<script>', 'x'.repeat(70)),
          fc.string({ maxLength: 20 }),
          fc.jsonValue({ maxDepth: 1 }),
        ),
      },
      { requiredKeys: [] },
    ),
    fc.jsonValue({ maxDepth: 2 }),
  );

  it('any JSON: a list of well-formed matches or a reason, never a throw; urls only http(s), sources only lower-case words of at most 64 characters', () => {
    fc.assert(
      fc.property(fc.oneof(fc.array(item, { maxLength: 8 }), fc.jsonValue({ maxDepth: 3 })), (payload) => {
        const parsed = parsePartnerMatches(payload);
        if ('error' in parsed) {
          expect(typeof parsed.error).toBe('string');
          return;
        }
        expect(Array.isArray(payload)).toBe(true);
        expect(parsed.matches).toHaveLength((payload as unknown[]).length);
        for (const m of parsed.matches) {
          expect(typeof m.token === 'string' && m.token.length > 0).toBe(true);
          expect(typeof m.type === 'string' && m.type.length > 0 && m.type.length <= 100).toBe(true);
          if (m.url !== null) {
            expect(m.url.length).toBeLessThanOrEqual(MAX_PARTNER_URL_LENGTH);
            expect(['http:', 'https:']).toContain(new URL(m.url).protocol);
          }
          if (m.source !== null) expect(m.source).toMatch(/^[a-z0-9][a-z0-9_-]{0,63}$/);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('property: rule files (loadRules)', () => {
  /** Pieces of RE2 (and not-RE2) syntax, glued at random. */
  const regexPiece = fc.constantFrom(
    'a',
    'b',
    '.',
    '*',
    '+',
    '?',
    '(',
    ')',
    '(?:',
    '|',
    '[',
    ']',
    '[a-z]',
    '{2}',
    '{1,3}',
    '{1000}',
    '\\',
    '\\d',
    '\\b',
    '^',
    '$',
    '(?<n>',
    '(?=',
    '(?i)',
    '\\1',
    'neev_',
    '[^\\n]',
  );
  const pattern = fc.oneof(
    fc.array(regexPiece, { minLength: 1, maxLength: 12 }).map((p) => p.join('')),
    fc.constantFrom('(a+)+$', '(a|aa)+$', '(.*a){12}', '(x+x+)+y', 'a{1000}{1000}'),
  );
  const specs = fc.record(
    {
      id: fc.oneof(fc.stringMatching(/^[a-z][a-z0-9._-]{0,10}$/), fc.string({ maxLength: 8 }), fc.integer()),
      description: fc.oneof(fc.constant('a rule'), fc.jsonValue({ maxDepth: 1 })),
      keywords: fc.oneof(fc.array(fc.constantFrom('a', 'b', 'neev_', ''), { maxLength: 3 }), fc.jsonValue({ maxDepth: 1 })),
      pattern,
      secretGroup: fc.oneof(fc.nat(3), fc.jsonValue({ maxDepth: 0 })),
      boundary: fc.constantFrom('token', 'none', 'other'),
      window: fc.oneof(fc.nat(70_000), fc.jsonValue({ maxDepth: 0 })),
      examples: fc.oneof(
        fc.array(fc.constantFrom('a', 'ab', 'aaab', 'x = aaaa', 'neev_abc'), { maxLength: 3 }),
        fc.jsonValue({ maxDepth: 1 }),
      ),
      negative_examples: fc.array(fc.constantFrom('b', 'ba', ''), { maxLength: 2 }),
      extra: fc.jsonValue({ maxDepth: 1 }),
    },
    { requiredKeys: [] },
  );
  /** Rules that are well formed, with patterns built to backtrack (harmless under RE2) and examples they find. */
  const evil: Array<[string, string]> = [
    ['(a+)+$', 'aaaa'],
    ['(?:a|aa)+b', 'aab'],
    ['(x+x+)+y', 'xxy'],
    ['(.*a){3}', 'aaa'],
    ['((a*)*)*b', 'ab'],
    ['[a-z]+@[a-z]+', 'me@host'],
  ];
  const wellFormed = fc
    .record({
      id: fc.stringMatching(/^[a-z][a-z0-9-]{2,10}$/),
      description: fc.constant('user rule'),
      pick: fc.constantFrom(...evil),
      keywords: fc.constantFrom([], ['a'], ['x'], ['@']),
      boundary: fc.constantFrom('none', 'token'),
      window: fc.constantFrom(undefined, 0, 16, 65_536),
    })
    .map(({ pick: [pattern, example], window, ...rest }) => ({
      ...rest,
      pattern,
      examples: [example],
      ...(window === undefined ? {} : { window }),
    }));
  const doc = fc.oneof(
    fc.uniqueArray(wellFormed, { selector: (r) => r.id, minLength: 1, maxLength: 3 }).map((rules) => stringify({ rules })),
    fc.record({ rules: fc.oneof(fc.array(specs, { maxLength: 3 }), fc.jsonValue({ maxDepth: 2 })) }).map((d) => stringify(d)),
    fc.jsonValue({ maxDepth: 3 }).map((d) => stringify(d)),
    // YAML syntax at random, anchors and aliases included (a billion-laughs document is refused by the parser's alias limit).
    fc
      .array(
        fc.constantFrom(
          'rules:',
          '\n',
          '  - ',
          'id: x',
          'pattern: ',
          "'a'",
          '&a ',
          '*a',
          '[',
          ']',
          '{',
          '}',
          ': ',
          '"',
          '\t',
          '!!binary ',
          '? ',
          '---',
          '#',
        ),
        { maxLength: 30 },
      )
      .map((p) => p.join('')),
  );

  it('random YAML: valid rules, or a NeevscanError naming the file; never another error, and quickly', () => {
    const dir = tempDir();
    let n = 0;
    const outcomes = { loaded: 0, refused: 0 };
    fc.assert(
      fc.property(doc, (text) => {
        const file = join(dir, `r${n++}.yaml`);
        writeFileSync(file, text);
        const started = performance.now();
        try {
          const rules = loadRules([file]);
          expect(rules.length).toBeGreaterThan(1);
          outcomes.loaded++;
        } catch (error) {
          expect(error, String(error)).toBeInstanceOf(NeevscanError);
          expect((error as Error).message).toContain(file);
          outcomes.refused++;
        }
        expect(performance.now() - started).toBeLessThan(2000);
      }),
      { numRuns: 300 },
    );
    // Both outcomes occur, so neither branch passes vacuously.
    expect(outcomes.loaded).toBeGreaterThan(0);
    expect(outcomes.refused).toBeGreaterThan(0);
  });
});

describe('property: the locator counts columns as decoding from the line start would', () => {
  it('for any bytes (invalid UTF-8 included) and any ascending offsets', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
        fc.array(fc.nat(), { maxLength: 20 }),
        (bytes, raw) => {
          const offsets = raw.map((r) => (bytes.length === 0 ? 0 : r % bytes.length)).sort((a, b) => a - b);
          const locator = new Locator(bytes);
          for (const offset of offsets) {
            const lineStart = bytes.lastIndexOf(0x0a, offset - 1) + 1;
            const line = bytes.subarray(0, offset).filter((b) => b === 0x0a).length + 1;
            expect(locator.locate(offset)).toEqual({ line, column: utf16Length(bytes, lineStart, offset) + 1 });
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

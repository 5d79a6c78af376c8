/** The streaming parsers behind `scan --git`, fed their input cut at every possible place. */
import { closeSync, writeSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BatchParser } from '../../src/sources/git/cat-file.js';
import { RawLogParser, type LogEntry } from '../../src/sources/git/log-parser.js';
import { GIT_RECORD, GIT_RECORD_FIELDS, nativePrefilter } from '../../src/sources/native-prefilter.js';

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

  it('reads only the new side when told to, the same however its input is cut', () => {
    const newSides = expected.map((entry) => ({ ...entry, oldModes: [], oldOids: [] }));
    for (const pieces of cuts(log)) {
      const entries: LogEntry[] = [];
      const parser = new RawLogParser((entry) => entries.push(entry), false);
      for (const piece of pieces) parser.push(piece);
      parser.end();
      expect(entries).toEqual(newSides);
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

describe('the native blob reader (native/git-blobs.c)', () => {
  const record = (oid: string, content: Buffer) =>
    Buffer.concat([Buffer.from(`${oid} blob ${content.length}\n`), content, Buffer.from('\n')]);
  const D = 'd'.repeat(40);
  const withKeyword = Buffer.from('first\nkey: acme_\n');
  const clean = Buffer.from([0, 0x0a, 0xff, 0x0a]);
  const utf16 = Buffer.from([0xff, 0xfe, 0x61, 0x00]); // a byte-order mark: the engine decodes and scans it
  const big = Buffer.from('acme_'.repeat(6));
  const output = Buffer.concat([
    record(A, withKeyword),
    Buffer.from(`${Z} missing\n`),
    record(B, big),
    record(C, clean),
    Buffer.from(`${D} tree 3\nabc\n`), // not a blob: passed over
    record(D, utf16),
    record(A, Buffer.alloc(0)),
  ]);

  /** Writes the pieces into a pipe the addon reads, a few milliseconds apart, and collects what it hands over. */
  async function read(pieces: Buffer[]) {
    const addon = nativePrefilter()!;
    const [readFd, writeFd] = addon.pipe();
    const blobs: Array<[string, string]> = [];
    const skipped: Array<[number, string, number]> = [];
    let files = 0;
    let bytes = 0;
    const done = addon.readBlobs(readFd, [Buffer.from('acme_')], { maxSize: 20 }, (data, records, cleanFiles, cleanBytes) => {
      files += cleanFiles;
      bytes += cleanBytes;
      for (let i = 0; i < records.length; i += GIT_RECORD_FIELDS) {
        const oid = data.toString('latin1', records[i + 1]!, records[i + 1]! + records[i + 2]!);
        const content = data.subarray(records[i + 3]!, records[i + 3]! + records[i + 4]!);
        if (records[i] === GIT_RECORD.blob) blobs.push([oid, content.toString('hex')]);
        else skipped.push([records[i]!, oid, records[i + 4]!]);
      }
    });
    for (const piece of pieces) {
      writeSync(writeFd, piece);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    closeSync(writeFd);
    await done;
    return { blobs, skipped, files, bytes };
  }

  it('hands over only blobs with a keyword or a byte-order mark, counts the rest, however its input is cut', async () => {
    expect(nativePrefilter()?.readBlobs).toBeTypeOf('function');
    const ways = cuts(output);
    // Every cut point would take long at a few milliseconds each: every fifth, and the 3-byte pieces.
    for (const pieces of [...ways.filter((_, i) => i % 5 === 0), ways.at(-1)!]) {
      expect(await read(pieces)).toEqual({
        blobs: [
          [A, withKeyword.toString('hex')],
          [D, utf16.toString('hex')],
        ],
        skipped: [
          [GIT_RECORD.missing, Z, 0],
          [GIT_RECORD.tooLarge, B, 30],
        ],
        files: 2,
        bytes: clean.length,
      });
    }
  });

  it('rejects with what the handler threw', async () => {
    const addon = nativePrefilter()!;
    const [readFd, writeFd] = addon.pipe();
    const done = addon.readBlobs(readFd, [Buffer.from('acme_')], { maxSize: 0 }, () => {
      throw new Error('handler failed');
    });
    writeSync(writeFd, output);
    closeSync(writeFd);
    await expect(done).rejects.toThrow('handler failed');
  });
});

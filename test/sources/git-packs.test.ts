/**
 * The pack reader (native/git-packs.c, src/sources/git/pack-blobs.ts): a
 * whole-history `scan --git` reads blobs from the pack files itself. Checked
 * against git on real repositories made at test time: every blob it gives is
 * the blob git has (its SHA-1 agrees), its scans equal those through `git
 * cat-file`, loose objects and alternates still reach git, and a damaged pack
 * is never taken for a clean one.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateKey, sha256Hex } from '../../src/key-format/key.js';
import { loadRules } from '../../src/rules/load.js';
import { scanHistory } from '../../src/sources/git/history.js';
import { GIT_RECORD, GIT_RECORD_FIELDS, nativePrefilter } from '../../src/sources/native-prefilter.js';
import { GIT_ENV } from '../helpers/tmp.js';

const scratch = mkdtempSync(join(tmpdir(), 'neevscan-packs-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const env = { ...process.env, ...GIT_ENV };
const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, { cwd, env, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] }).trim();
const addon = nativePrefilter();
const rules = loadRules([]);

/**
 * A history of `commits` commits over a dozen files, each commit editing a few lines of some (so the packed
 * versions are deltas on deltas), with a key planted in a middle version of one file, a big file and a binary one.
 */
function makeHistory(dir: string, commits: number): string[] {
  git(scratch, 'init', '-q', '-b', 'main', dir);
  const keys = [generateKey(), generateKey()];
  const files = Array.from({ length: 12 }, (_, f) =>
    Array.from({ length: 200 }, (_, l) => `file ${f} line ${l} ${'x'.repeat((f * l) % 50)}`),
  );
  let stream = '';
  let mark = 0;
  for (let c = 0; c < commits; c++) {
    const changed = c === 0 ? files.map((_, f) => f) : [c % 12, (c * 5) % 12];
    const marks: Array<[string, number]> = [];
    for (const f of changed) {
      files[f]![(c * 31) % 200] = `edit ${c} of file ${f}`;
      if (c === Math.floor(commits / 2) && f === changed[0]) files[f]!.splice(100, 0, `token = "${keys[0]}"`);
      const content = files[f]!.join('\n') + '\n';
      stream += `blob\nmark :${++mark}\ndata ${Buffer.byteLength(content)}\n${content}\n`;
      marks.push([`src/f${f}.txt`, mark]);
    }
    if (c === 3) {
      const big = `${'big line of text\n'.repeat(100_000)}key ${keys[1]}\n`;
      stream += `blob\nmark :${++mark}\ndata ${big.length}\n${big}\n`;
      marks.push(['data/big.txt', mark]);
      const binary = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 256)).toString('latin1');
      stream += `blob\nmark :${++mark}\ndata ${binary.length}\n${binary}\n`;
      marks.push(['assets/blob.bin', mark]);
    }
    stream += `commit refs/heads/main\nmark :${++mark}\ncommitter T <t@example.com> ${1_600_000_000 + c} +0000\ndata 2\nc\n`;
    for (const [path, m] of marks) stream += `M 100644 :${m} ${path}\n`;
    stream += '\n';
  }
  execFileSync('git', ['fast-import', '--quiet'], { cwd: dir, env, input: Buffer.from(stream, 'latin1') });
  // Repacked with deep delta chains, as a long-lived repository's packs are.
  git(dir, 'repack', '-adfq', '--depth=50', '--window=50');
  return keys;
}

const packsOf = (dir: string) =>
  readdirSync(join(dir, '.git', 'objects', 'pack'))
    .filter((name) => name.endsWith('.pack'))
    .map((name) => join(dir, '.git', 'objects', 'pack', name));

describe('the pack reader', () => {
  it('gives every blob of a pack, each the blob git has, and nothing that is not a blob', async () => {
    expect(addon?.readPacks).toBeTypeOf('function');
    const dir = join(scratch, 'whole');
    makeHistory(dir, 120);
    const blobs = new Map(
      git(dir, 'cat-file', '--batch-all-objects', '--batch-check')
        .split('\n')
        .map((line) => line.split(' '))
        .filter(([, type]) => type === 'blob')
        .map(([oid, , size]) => [oid!, Number(size)]),
    );
    expect(blobs.size).toBeGreaterThan(200);
    // No keywords: every blob comes back whole, to be hashed here.
    const given = new Map<string, number>();
    const sizes = await addon!.readPacks!(packsOf(dir), [], { maxSize: 0, threads: 2 }, (data, records) => {
      for (let i = 0; i < records.length; i += GIT_RECORD_FIELDS) {
        expect(records[i]).toBe(GIT_RECORD.blob);
        const oid = data.toString('latin1', records[i + 1]!, records[i + 1]! + records[i + 2]!);
        const content = data.subarray(records[i + 3]!, records[i + 3]! + records[i + 4]!);
        expect(createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex')).toBe(oid);
        given.set(oid, content.length);
      }
    });
    expect(given).toEqual(blobs);
    // The sizes, in the .idx's order: a blob's size, -1 for commits and trees.
    const read = sizes[0]!.filter((size) => size >= 0);
    expect(read.length).toBe(blobs.size);
    expect(sizes[0]!.length).toBe(Number(git(dir, 'count-objects', '-v').match(/in-pack: (\d+)/)![1]));
    // One thread gives the same.
    expect(await addon!.readPacks!(packsOf(dir), [], { maxSize: 0, threads: 1 }, () => {})).toEqual(sizes);
  });

  it('is what a whole-history scan of a packed repository reads: git lists the history, no `git cat-file` runs', async () => {
    const dir = join(scratch, 'packed');
    const [middle] = makeHistory(dir, 30);
    // A `git` first on PATH that notes each command it is asked for, then runs the real one.
    const bin = join(scratch, 'bin');
    const calls = join(scratch, 'git-calls.txt');
    mkdirSync(bin, { recursive: true });
    const real = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
    writeFileSync(join(bin, 'git'), `#!/bin/sh\necho "$*" >> '${calls}'\nexec '${real}' "$@"\n`, { mode: 0o755 });
    const path = process.env.PATH;
    process.env.PATH = `${bin}:${path}`;
    try {
      const fromPacks = await scanHistory(dir, undefined, { rules, maxFileSize: 0 });
      expect(fromPacks.findings.map((f) => f.secretSha256)).toContain(sha256Hex(middle!));
      const commands = readFileSync(calls, 'utf8');
      expect(commands).toMatch(/ log /);
      expect(commands).not.toMatch(/cat-file/);
      // The same scan through git's reader does run it: the wrapper sees what it should.
      writeFileSync(calls, '');
      expect(await scanHistory(dir, undefined, { rules, maxFileSize: 0, packs: false })).toEqual(fromPacks);
      expect(readFileSync(calls, 'utf8')).toMatch(/cat-file/);
    } finally {
      process.env.PATH = path;
    }
  });

  it('finds what `git cat-file` finds, and leaves loose objects and alternates to git', async () => {
    const dir = join(scratch, 'mixed');
    const [middle, big] = makeHistory(dir, 80);
    // A commit after the repack: its blobs are loose objects, in no pack.
    const loose = generateKey();
    git(dir, 'checkout', '-q', 'main');
    writeFileSync(join(dir, 'late.env'), `KEY=${loose}\n`);
    git(dir, 'add', 'late.env');
    git(dir, 'commit', '-qm', 'late');
    // A clone sharing the first one's objects through objects/info/alternates, with one commit of its own (packed).
    const shared = join(scratch, 'shared');
    git(scratch, 'clone', '-q', '--shared', dir, shared);
    const own = generateKey();
    writeFileSync(join(shared, 'own.env'), `KEY=${own}\n`);
    git(shared, 'add', 'own.env');
    git(shared, 'commit', '-qm', 'own');
    git(shared, 'repack', '-dq'); // packs only what the alternate does not hold

    const options = { rules, maxFileSize: 1_000_000 };
    for (const repo of [dir, shared]) {
      const throughGit = await scanHistory(repo, undefined, { ...options, packs: false });
      const fromPacks = await scanHistory(repo, undefined, options);
      expect(fromPacks).toEqual(throughGit);
      const found = new Set(fromPacks.findings.map((f) => f.secretSha256));
      expect(found).toEqual(new Set([middle, loose, ...(repo === shared ? [own] : [])].map((k) => sha256Hex(k!))));
      // The big file is over the limit: a warning, as git's reader gives it, and the file not counted.
      expect(fromPacks.warnings).toEqual([{ path: 'data/big.txt', reason: expect.stringContaining('larger than --max-file-size') }]);
      expect(fromPacks.files).toBeGreaterThan(100);
    }
    // Under the limit, the big file's key is found in the pack.
    const whole = await scanHistory(dir, undefined, { rules, maxFileSize: 0 });
    expect(whole.findings.map((f) => f.secretSha256)).toContain(sha256Hex(big!));
    expect(whole).toEqual(await scanHistory(dir, undefined, { rules, maxFileSize: 0, packs: false }));
  });

  it('never takes a damaged pack for a clean one: the damaged blob is left to git, which fails the scan', async () => {
    const dir = join(scratch, 'damaged');
    const [middle] = makeHistory(dir, 40);
    const [pack] = packsOf(dir);
    // The version holding the key, whole or a delta, and where its compressed bytes lie in the pack.
    const keyed = git(dir, 'log', '--all', '--format=', '--raw', '--no-abbrev', '-S', middle!)
      .split('\n')
      .map((line) => line.split(/\s+/)[3]!)
      .find(Boolean)!;
    const listing = git(dir, 'verify-pack', '-v', pack!.replace(/\.pack$/, '.idx')).split('\n');
    const entry = listing.find((line) => line.startsWith(keyed))!.split(/\s+/);
    const [sizeInPack, offset] = [Number(entry[3]), Number(entry[4])];
    const bytes = readFileSync(pack!);
    for (let i = offset + Math.floor(sizeInPack / 2); i < offset + sizeInPack - 4; i += 3) bytes[i]! ^= 0x5a;
    writeFileSync(pack!, bytes);

    const sizes = await addon!.readPacks!([pack!], [Buffer.from('neev_')], { maxSize: 0 }, () => {});
    const names = readFileSync(pack!.replace(/\.pack$/, '.idx')).subarray(8 + 1024);
    const index = Array.from({ length: sizes[0]!.length }, (_, i) => names.toString('hex', i * 20, i * 20 + 20)).indexOf(keyed);
    expect(index).toBeGreaterThanOrEqual(0);
    expect(sizes[0]![index]).toBe(-1);
    await expect(scanHistory(dir, undefined, { rules, maxFileSize: 0 })).rejects.toThrow(/git cat-file/);
  });

  it('survives hostile packs and indexes: bytes flipped anywhere, it never crashes, and every blob it gives is the one named', async () => {
    const dir = join(scratch, 'fuzzed');
    makeHistory(dir, 30);
    const [pack] = packsOf(dir);
    const idxPath = pack!.replace(/\.pack$/, '.idx');
    const [packBytes, idxBytes] = [readFileSync(pack!), readFileSync(idxPath)];
    const copy = join(scratch, 'fuzz');
    mkdirSync(copy, { recursive: true });
    let seed = 12345;
    const random = (below: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % below;
    for (let round = 0; round < 80; round++) {
      // Half the rounds damage the pack (blobs must still hash to their names), half the index (names may then be wrong, as git's would be).
      const inPack = round % 2 === 0;
      const [packCopy, idxCopy] = [Buffer.from(packBytes), Buffer.from(idxBytes)];
      const target = inPack ? packCopy : idxCopy;
      for (let flips = 1 + random(3); flips > 0; flips--) {
        const at = random(target.length);
        target[at] = target[at]! ^ (1 + random(255));
      }
      writeFileSync(join(copy, 'x.pack'), packCopy);
      writeFileSync(join(copy, 'x.idx'), idxCopy);
      let wrong = 0;
      await addon!.readPacks!([join(copy, 'x.pack')], [], { maxSize: 0 }, (data, records) => {
        for (let i = 0; i < records.length; i += GIT_RECORD_FIELDS) {
          const oid = data.toString('latin1', records[i + 1]!, records[i + 1]! + records[i + 2]!);
          const content = data.subarray(records[i + 3]!, records[i + 3]! + records[i + 4]!);
          if (createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex') !== oid) wrong++;
        }
      });
      if (inPack) expect(wrong).toBe(0);
    }
  });
});

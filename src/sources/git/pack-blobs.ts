import { readFileSync, readdirSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { Addon, GitBatchHandler } from '../native-prefilter.js';
import type { Introduction } from './introduction.js';
import { takeGitBatch, type BlobReadersOptions } from './blob-readers.js';
import { runGit } from './run.js';

/** A version-2 .idx: magic, version 2, 256 fan-out counts, then the sorted 20-byte object names. */
const IDX_MAGIC = 0xff744f63;
const NAMES_AT = 8 + 256 * 4;
const COUNT_AT = NAMES_AT - 4; // the last fan-out entry: how many names
const NAME_BYTES = 20;
/** A name's first bytes that fit a number exactly (48 bits): the search key. */
const PREFIX_BYTES = 6;
/** locate()'s answer: pack × PACK_STRIDE + index (an .idx holds fewer than 2^32 names). */
const PACK_STRIDE = 2 ** 32;
/** git's own limit on alternates chained from alternates. */
const MAX_ALTERNATE_DEPTH = 5;

interface PackIndex {
  /** The .pack file. */
  pack: string;
  /** The whole .idx file. */
  idx: Buffer;
  /** Each name's first PREFIX_BYTES as a number, in the .idx's order (sorted). */
  prefixes: Float64Array;
}

export interface PackReadOptions {
  keywords: Buffer[];
  tails?: Buffer[];
  maxSize: number;
  threads: number;
}

/**
 * A whole-history scan's blobs, read from the repository's pack files by the
 * addon (native/git-packs.c) rather than through `git cat-file`: it inflates
 * each object once and rebuilds each version from its base while the base is
 * in memory (~2 GB/s on two cores, where git through a pipe gave ~325 MB/s).
 * The packs' .idx files are read here too, so that while the log streams each
 * blob can be sent where it will be read: a blob in a pack is the addon's, any
 * other (a loose object, or an object store this does not read) goes to `git
 * cat-file` at once. A blob the addon could not read (damage, a delta whose base
 * is in another pack) is handed to git after it ends, and git says what is wrong.
 *
 * Only for SHA-1 repositories (a SHA-256 one is read by git as before), and only
 * for a whole history: the addon reads every blob of every pack, which for a
 * range (`--git main..HEAD`) would be most of the work for none of the answer.
 */
export class PackBlobs {
  private sizes: Float64Array[] | undefined;

  private constructor(private readonly indexes: PackIndex[]) {}

  /** The packs of the repository at `root` (its object store and alternates); undefined when it has none or is not SHA-1. */
  static async open(root: string): Promise<PackBlobs | undefined> {
    const answer = (await runGit(['rev-parse', '--show-object-format', '--path-format=absolute', '--git-path', 'objects'], root))
      .toString('utf8')
      .split('\n');
    const [format, objects] = answer;
    if (format !== 'sha1' || !objects) return undefined;
    const indexes: PackIndex[] = [];
    for (const store of objectStores(objects)) indexes.push(...packsIn(store));
    return indexes.length > 0 ? new PackBlobs(indexes) : undefined;
  }

  /** Reads every blob of every pack; batches go to `onBatch` as the addon makes them. Resolves once all are read. */
  async read(addon: Required<Pick<Addon, 'readPacks'>>, options: PackReadOptions, onBatch: GitBatchHandler): Promise<void> {
    const { keywords, tails, maxSize, threads } = options;
    const packs = this.indexes.map((index) => index.pack);
    this.sizes = await addon.readPacks(packs, keywords, { maxSize, tails, threads }, onBatch);
  }

  /** After read(): the size of the blob at `location` (from locate()) as read from its pack, or undefined when its read did not give it (git's to read). */
  sizeAt(location: number): number | undefined {
    const size = this.sizes?.[Math.floor(location / PACK_STRIDE)]?.[location % PACK_STRIDE];
    return size !== undefined && size >= 0 ? size : undefined;
  }

  /**
   * Where `oid` is, as pack × PACK_STRIDE + its .idx index, or -1 when no pack holds it (then git reads it). The search runs on each name's first 48 bits
   * as a number (no Buffer per lookup: this runs for every blob of a history), and the whole name is
   * compared only where those match.
   */
  locate(oid: string): number {
    if (oid.length !== 2 * NAME_BYTES) return -1;
    const key = parseInt(oid.slice(0, PREFIX_BYTES * 2), 16);
    for (let pack = 0; pack < this.indexes.length; pack++) {
      const { idx, prefixes } = this.indexes[pack]!;
      let low = 0;
      let high = prefixes.length;
      while (low < high) {
        const mid = (low + high) >>> 1;
        if (prefixes[mid]! < key) low = mid + 1;
        else high = mid;
      }
      for (let i = low; i < prefixes.length && prefixes[i] === key; i++) {
        const at = NAMES_AT + i * NAME_BYTES;
        if (restMatches(idx, at, oid)) return pack * PACK_STRIDE + i;
      }
    }
    return -1;
  }
}

const HEX_DIGITS = Array.from('0123456789abcdef', (digit) => digit.charCodeAt(0));

/**
 * Whether the name at idx[at] is `oid` (lowercase hex) past the prefix already compared, digit by digit: a hex
 * string of each candidate (57,000 on trufflehog) was an allocation and a conversion for every blob of a history.
 */
function restMatches(idx: Buffer, at: number, oid: string): boolean {
  for (let j = PREFIX_BYTES; j < NAME_BYTES; j++) {
    const byte = idx[at + j]!;
    if (HEX_DIGITS[byte >> 4] !== oid.charCodeAt(2 * j) || HEX_DIGITS[byte & 15] !== oid.charCodeAt(2 * j + 1)) return false;
  }
  return true;
}

/** Where blobs go that the packs do not hold, or did not give: git's reader (BlobReaders). */
export interface GitReader {
  add(oid: string, path: string): void;
  flush(): void;
}

/**
 * A whole history's blobs, routed as the log shows them: those in a pack to
 * the pack reader (started as soon as the packs are listed, which happens
 * while the log starts), any other to git at once; after the log, git gets
 * what the pack reader could not give.
 */
export class PackedHistory {
  private packs: PackBlobs | undefined;
  private listed = false;
  private read: Promise<void> | undefined;
  /** Blobs the log showed before the packs were listed: routed once they are. */
  private readonly early: Array<[string, string]> = [];
  /** Blobs in packs, and where (PackBlobs.locate). */
  private readonly inPacks: string[] = [];
  private readonly locations: number[] = [];
  private readonly opened: Promise<void>;

  constructor(
    root: string,
    addon: Required<Pick<Addon, 'readPacks'>>,
    options: PackReadOptions,
    handlers: Pick<BlobReadersOptions, 'onBlob' | 'onSkipped' | 'onClean'>,
    private readonly git: GitReader,
  ) {
    const onBatch: GitBatchHandler = (data, records, files, bytes) => takeGitBatch(handlers, data, records, files, bytes);
    this.opened = PackBlobs.open(root)
      .catch(() => undefined) // not listed (an odd repository): no packs, git reads every blob
      .then((packs) => {
        this.packs = packs;
        this.read = packs?.read(addon, options, onBatch);
        this.read?.catch(() => {}); // awaited in finish(); a log that fails first must not leave it unobserved
        this.listed = true;
        for (const [oid, path] of this.early) this.add(oid, path);
        this.early.length = 0;
        git.flush();
      });
  }

  /** A blob the log showed, first at `path`. */
  add(oid: string, path: string): void {
    if (!this.listed) {
      this.early.push([oid, path]);
      return;
    }
    const location = this.packs ? this.packs.locate(oid) : -1;
    if (location < 0) return this.git.add(oid, path);
    this.inPacks.push(oid);
    this.locations.push(location);
  }

  /** After the log: waits for the pack reader, hands git what it did not give, and returns the blobs it gave, with their sizes. */
  async finish(blobs: Map<string, Introduction[]>): Promise<Array<[string, number]>> {
    await this.opened;
    await this.read;
    const given: Array<[string, number]> = [];
    for (let i = 0; i < this.inPacks.length; i++) {
      const oid = this.inPacks[i]!;
      const size = this.packs!.sizeAt(this.locations[i]!);
      if (size === undefined) this.git.add(oid, blobs.get(oid)![0]!.path);
      else given.push([oid, size]);
    }
    return given;
  }
}

/** An object folder and, after it, the ones its info/alternates name (as git follows them), each once. */
function objectStores(objects: string): string[] {
  const stores: string[] = [];
  const visit = (folder: string, depth: number) => {
    if (stores.includes(folder) || depth > MAX_ALTERNATE_DEPTH) return;
    stores.push(folder);
    let alternates: string;
    try {
      alternates = readFileSync(join(folder, 'info', 'alternates'), 'utf8');
    } catch {
      return; // none
    }
    for (const line of alternates.split('\n')) {
      const path = line.trim();
      // A quoted path (odd characters) is left to git: whatever is only there goes to `git cat-file`.
      if (!path || path.startsWith('#') || path.startsWith('"')) continue;
      visit(isAbsolute(path) ? path : resolve(folder, path), depth + 1);
    }
  };
  visit(objects, 0);
  return stores;
}

/** The packs in an object folder whose .idx is version 2 and whole; any other is left to git. */
function packsIn(objects: string): PackIndex[] {
  const folder = join(objects, 'pack');
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return []; // no pack folder: every object is loose
  }
  const indexes: PackIndex[] = [];
  for (const name of names) {
    if (!name.endsWith('.pack')) continue;
    const pack = join(folder, name);
    let idx: Buffer;
    try {
      idx = readFileSync(pack.slice(0, -'.pack'.length) + '.idx');
    } catch {
      continue; // a pack still being written has no .idx yet
    }
    if (idx.length < NAMES_AT || idx.readUInt32BE(0) !== IDX_MAGIC || idx.readUInt32BE(4) !== 2) continue;
    const count = idx.readUInt32BE(COUNT_AT);
    if (idx.length < NAMES_AT + count * (NAME_BYTES + 8) + 2 * NAME_BYTES) continue;
    // 32 + 16 bits through a DataView: Buffer's readUIntBE (any width) took 4x as long, 20-60 ms for trufflehog's 161,098 names.
    const view = new DataView(idx.buffer, idx.byteOffset, idx.byteLength);
    const prefixes = new Float64Array(count);
    for (let i = 0, at = NAMES_AT; i < count; i++, at += NAME_BYTES) prefixes[i] = view.getUint32(at) * 0x10000 + view.getUint16(at + 4);
    indexes.push({ pack, idx, prefixes });
  }
  return indexes;
}

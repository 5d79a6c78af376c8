/** Parsers for what `git diff` prints: the `--raw -z` file list and the added lines of a `-U0` patch. */

export interface RawEntry {
  oldMode: string;
  newMode: string;
  oldOid: string;
  newOid: string;
  /** A, C, D, M, R, T, U, X (the first letter of git's status). */
  status: string;
  path: string;
  oldPath?: string;
}

/** Parses `git diff --raw -z --no-abbrev`: ":old new oid oid S\0path\0" (two paths for R and C). */
export function parseRawZ(output: Buffer): RawEntry[] {
  const fields = output.toString('utf8').split('\0');
  const entries: RawEntry[] = [];
  for (let i = 0; i < fields.length;) {
    const meta = fields[i++];
    if (!meta) continue;
    const [oldMode, newMode, oldOid, newOid, status] = meta.replace(/^:/, '').split(' ');
    const letter = (status ?? '').charAt(0);
    if (letter === 'R' || letter === 'C') {
      const oldPath = fields[i++]!;
      entries.push({ oldMode: oldMode!, newMode: newMode!, oldOid: oldOid!, newOid: newOid!, status: letter, oldPath, path: fields[i++]! });
    } else {
      entries.push({ oldMode: oldMode!, newMode: newMode!, oldOid: oldOid!, newOid: newOid!, status: letter, path: fields[i++]! });
    }
  }
  return entries;
}

export interface AddedLines {
  /** Added line ranges [first, last] in the new version, 1-based. */
  ranges: Array<[number, number]>;
  /** git showed no text diff: "Binary files … differ". */
  binary: boolean;
}

const HUNK = /^@@ -\d+(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;

/**
 * Reads the added lines of each file from a `-U0` patch made with
 * `--src-prefix=a/ --dst-prefix=b/`. Only headers are decoded: a hunk's
 * content lines are counted off by the numbers in its header (so an added line
 * that reads "++ x" is never taken for a "+++" header), whatever their encoding.
 */
export function parseAddedLines(patch: Buffer): Map<string, AddedLines> {
  const files = new Map<string, AddedLines>();
  let current: AddedLines | undefined;
  let header = '';
  let hunkLinesLeft = 0;
  let start = 0;
  while (start < patch.length) {
    let end = patch.indexOf(0x0a, start);
    if (end === -1) end = patch.length;
    const first = patch[start];
    if (hunkLinesLeft > 0) {
      if (first !== 0x5c /* \ No newline at end of file */) hunkLinesLeft--;
    } else if (first === 0x40 || first === 0x64 || first === 0x2b || first === 0x42) {
      const line = patch.toString('utf8', start, end);
      if (line.startsWith('diff --git ')) {
        current = { ranges: [], binary: false };
        header = line;
      } else if (line.startsWith('+++ ') && current) {
        const path = unquotePath(line.slice(4));
        if (path !== '/dev/null') files.set(stripPrefix(path, 'b/'), current);
      } else if (line.startsWith('Binary files ') && current) {
        current.binary = true;
        const path = binaryPath(line) ?? headerPath(header);
        if (path) files.set(path, current);
      } else if (current) {
        const hunk = HUNK.exec(line);
        if (hunk) {
          const removed = hunk[1] === undefined ? 1 : Number(hunk[1]);
          const from = Number(hunk[2]);
          const added = hunk[3] === undefined ? 1 : Number(hunk[3]);
          if (added > 0) current.ranges.push([from, from + added - 1]);
          hunkLinesLeft = removed + added;
        }
      }
    }
    start = end + 1;
  }
  return files;
}

/** "Binary files a/x and b/y differ" → "y" (undefined for /dev/null or paths with " and "). */
function binaryPath(line: string): string | undefined {
  const body = line.slice('Binary files '.length, line.length - ' differ'.length);
  const parts = body.split(' and ');
  if (parts.length !== 2) return undefined;
  const path = unquotePath(parts[1]!);
  return path === '/dev/null' ? undefined : stripPrefix(path, 'b/');
}

/** "diff --git a/x b/x" → "x", when the two halves are the same path. */
function headerPath(header: string): string | undefined {
  const rest = header.slice('diff --git '.length);
  if (rest.startsWith('"')) return undefined;
  const half = (rest.length - 1) / 2;
  const a = rest.slice(0, half);
  const b = rest.slice(half + 1);
  return a.slice(2) === b.slice(2) ? b.slice(2) : undefined;
}

function stripPrefix(path: string, prefix: string): string {
  return path.startsWith(prefix) ? path.slice(prefix.length) : path;
}

const ESCAPES: Record<string, number> = { a: 7, b: 8, t: 9, n: 10, v: 11, f: 12, r: 13, '"': 34, '\\': 92 };

/** Undoes git's C-style quoting of a path ("a/tab\there", octal escapes for raw bytes). */
export function unquotePath(text: string): string {
  const trimmed = text.replace(/\t$/, '');
  if (!trimmed.startsWith('"') || !trimmed.endsWith('"')) return trimmed;
  const bytes: number[] = [];
  const body = Buffer.from(trimmed.slice(1, -1), 'utf8');
  for (let i = 0; i < body.length; i++) {
    const byte = body[i]!;
    if (byte !== 0x5c) {
      bytes.push(byte);
      continue;
    }
    const next = String.fromCharCode(body[i + 1] ?? 0);
    if (/[0-7]/.test(next)) {
      bytes.push(parseInt(body.toString('latin1', i + 1, i + 4), 8));
      i += 3;
    } else {
      bytes.push(ESCAPES[next] ?? body[i + 1]!);
      i += 1;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** True when `line` lies in one of the ranges. */
export function inRanges(line: number, ranges: ReadonlyArray<[number, number]>): boolean {
  return ranges.some(([from, to]) => line >= from && line <= to);
}

/** One file a commit added or changed, from `git log --raw -z --no-abbrev`. */
export interface LogEntry {
  /** Index of the commit in the order git printed them. */
  commit: number;
  newMode: string;
  newOid: string;
  /** The path's mode and blob in each parent (one per parent for a merge's combined diff; all zeros where absent). */
  oldModes: string[];
  oldOids: string[];
  /** A, M, T, D… (--no-renames rules out R and C); a merge's combined diff has one letter per parent: the first is kept. */
  status: string;
  path: string;
}

/**
 * Parses, chunk by chunk, the output of
 * `git log --raw -z --no-abbrev --no-renames --diff-merges=combined --format=C%H`:
 * for each commit "C<sha>\0", then for each file
 * "[\n]:<old mode> <new mode> <old oid> <new oid> <status>\0<path>\0", where a
 * merge has one colon, old mode and old oid per parent ("::m1 m2 new o1 o2 new MM").
 * Streaming, because a long history's log is larger than we want to hold.
 */
export class RawLogParser {
  readonly commits: string[] = [];
  private rest: Buffer = Buffer.alloc(0);
  private meta: [parents: number, fields: string[]] | undefined;

  /**
   * @param oldSides whether entries carry each parent's mode and blob (`oldModes`, `oldOids`); without them
   * (empty arrays) an entry costs two strings (its blob and its path) instead of seven: a long history has
   * hundreds of thousands of entries, and only a range's boundary needs the parents' side.
   */
  constructor(
    private readonly onEntry: (entry: LogEntry) => void,
    private readonly oldSides = true,
  ) {}

  push(chunk: Buffer): void {
    const data = this.rest.length ? Buffer.concat([this.rest, chunk]) : chunk;
    let start = 0;
    for (let end = data.indexOf(0); end !== -1; end = data.indexOf(0, start)) {
      this.token(data, start, end);
      start = end + 1;
    }
    // Tokens are decoded from bytes, each into a string of its own: a substring of a
    // decoded chunk would keep the whole chunk alive for as long as the index holds the oid or path.
    this.rest = Buffer.from(data.subarray(start));
  }

  end(): void {
    if (this.rest.length > 0 && this.rest.toString('latin1').trim() !== '') this.token(this.rest, 0, this.rest.length);
    this.rest = Buffer.alloc(0);
  }

  private token(data: Buffer, start: number, end: number): void {
    if (this.meta) {
      // The token after a meta field is always a path, whatever it looks like (a file may be named "C…" or ":…").
      const [parents, fields] = this.meta;
      this.meta = undefined;
      if (parents === 0) {
        // Only the new side was read (see newSide).
        this.onEntry({
          commit: this.commits.length - 1,
          oldModes: NO_PARENT_SIDES,
          newMode: fields[0]!,
          oldOids: NO_PARENT_SIDES,
          newOid: fields[1]!,
          status: fields[2]!,
          path: data.toString('utf8', start, end),
        });
        return;
      }
      this.onEntry({
        commit: this.commits.length - 1,
        oldModes: fields.slice(0, parents),
        newMode: fields[parents]!,
        oldOids: fields.slice(parents + 1, 2 * parents + 1),
        newOid: fields[2 * parents + 1]!,
        status: (fields[2 * parents + 2] ?? '').charAt(0),
        path: data.toString('utf8', start, end),
      });
      return;
    }
    // git puts a newline between a commit's format line and its first raw line.
    if (data[start] === 0x0a) start++;
    if (data[start] === 0x3a /* : */) {
      let parents = 1;
      while (data[start + parents] === 0x3a) parents++;
      if (!this.oldSides) {
        const fields = newSide(data, start + parents, end, parents);
        if (fields) {
          this.meta = [0, fields];
          return;
        }
      }
      const fields: string[] = [];
      // Fields one by one (not split()), for the same reason as above.
      for (let at = start + parents; at < end;) {
        let space = data.indexOf(0x20, at);
        if (space === -1 || space > end) space = end;
        fields.push(data.toString('latin1', at, space));
        at = space + 1;
      }
      this.meta = [parents, fields];
    } else if (data[start] === 0x43 /* C */) {
      this.commits.push(data.toString('latin1', start + 1, end).trim());
    }
  }
}

const NO_PARENT_SIDES: string[] = [];
Object.freeze(NO_PARENT_SIDES);
/** The modes git writes for nearly every entry, by value: one string each rather than one per entry. */
const COMMON_MODES = new Map(
  ['100644', '100755', '120000', '160000', '000000', '040000', '100664'].map((mode) => [parseInt(mode, 8), mode]),
);

/** The mode in data[at, at + 6) as a string, shared for the common ones. */
function modeAt(data: Buffer, at: number): string {
  let value = 0;
  for (let i = at; i < at + 6; i++) {
    const digit = data[i]! - 0x30;
    if (digit < 0 || digit > 7) return data.toString('latin1', at, at + 6);
    value = value * 8 + digit;
  }
  return COMMON_MODES.get(value) ?? data.toString('latin1', at, at + 6);
}

/**
 * [new mode, new blob, status] of a raw entry's fields at data[at, end): "<mode> × (parents + 1) <oid> × (parents + 1)
 * <status>", modes six octal digits; undefined when they are not laid out so (the general parse then reads them).
 */
function newSide(data: Buffer, at: number, end: number, parents: number): string[] | undefined {
  const newModeAt = at + 7 * parents;
  const oidsAt = newModeAt + 7;
  const firstOidEnd = data.indexOf(0x20, oidsAt);
  if (firstOidEnd === -1 || firstOidEnd > end || data[newModeAt + 6] !== 0x20) return undefined;
  const oidLength = firstOidEnd - oidsAt + 1; // with its space
  const oidAt = oidsAt + oidLength * parents;
  const statusAt = oidAt + oidLength;
  if (statusAt > end || data[statusAt - 1] !== 0x20) return undefined;
  return [
    modeAt(data, newModeAt),
    data.toString('latin1', oidAt, statusAt - 1),
    statusAt < end ? String.fromCharCode(data[statusAt]!) : '',
  ];
}

/**
 * GitHub Actions run logs: `GET /repos/{o}/{r}/actions/runs/{id}/logs` answers 302 to a short-lived archive
 * URL (served here at `/_archives/{token}`, without auth, as GitHub's signed URLs are), or 404 / 410 once the
 * logs expired or were deleted. The archive is a zip the test's entries are written into.
 */
import { randomBytes } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import type { RepoCtx } from './context.js';
import { HttpError, notFound, type Reply } from './http.js';

export type RunLogs =
  /** Entries as GitHub names them: `<job>/<n>_<step>.txt` and `<n>_<job>.txt`. */
  | { entries: Array<{ path: string; text: string | Buffer }>; store?: boolean }
  /** GitHub's answer once the logs are gone: 404 (expired, or never there) or 410 (deleted). */
  | { status: 404 | 410 }
  /** A ready archive (a large one, built once). */
  | { zip: Buffer };

export class RunLogStore {
  private readonly runs = new Map<string, RunLogs>();
  private readonly archives = new Map<string, Buffer>();

  set(owner: string, repo: string, runId: number, logs: RunLogs): void {
    this.runs.set(`${owner}/${repo}/${runId}`.toLowerCase(), logs);
  }

  /** The redirect to the archive, as GitHub answers (`Location`, empty body). */
  redirect(ctx: RepoCtx): Reply {
    const logs = this.runs.get(`${ctx.repo.owner}/${ctx.repo.name}/${ctx.params.runId}`.toLowerCase());
    if (!logs) throw notFound();
    if ('status' in logs) throw logs.status === 410 ? new HttpError(410, 'Gone') : notFound();
    const token = randomBytes(12).toString('hex');
    this.archives.set(token, 'zip' in logs ? logs.zip : writeZip(logs.entries, logs.store ?? false));
    return { status: 302, headers: { location: `${ctx.urls.api}/_archives/${token}` } };
  }

  /** The archive, once (GitHub's URL lasts a minute). */
  archive(token: string): Reply {
    const zip = this.archives.get(token);
    if (!zip) throw notFound();
    this.archives.delete(token);
    return { status: 200, body: zip, headers: { 'content-type': 'application/zip', 'content-length': String(zip.length) } };
  }
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(data: Buffer): number {
  let c = 0xffffffff;
  for (const byte of data) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A zip (PKWARE APPNOTE 4.3): local header + data per entry, then the central directory and its end record. */
export function writeZip(entries: ReadonlyArray<{ path: string; text: string | Buffer }>, store = false): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const { path, text } of entries) {
    const name = Buffer.from(path, 'utf8');
    const data = Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8');
    const body = store ? data : deflateRawSync(data);
    const method = store ? 0 : 8;
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // flags: names in UTF-8
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(0, 10); // time, date
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const header = Buffer.alloc(46);
    header.writeUInt32LE(0x02014b50, 0);
    header.writeUInt16LE(20, 4); // made by
    header.writeUInt16LE(20, 6);
    header.writeUInt16LE(0x0800, 8);
    header.writeUInt16LE(method, 10);
    header.writeUInt32LE(0, 12);
    header.writeUInt32LE(crc, 16);
    header.writeUInt32LE(body.length, 20);
    header.writeUInt32LE(data.length, 24);
    header.writeUInt16LE(name.length, 28);
    // extra, comment, disk, internal and external attributes: 0
    header.writeUInt32LE(offset, 42);
    parts.push(local, name, body);
    central.push(header, name);
    offset += local.length + name.length + body.length;
  }
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, directory, end]);
}

/**
 * Keys written into a file's path (`config/neev_….env`): a name is text the
 * pusher chose, published with the repository like any line of a file.
 */
import type { PushFinding } from '../core/push-finding.js';
import { sha256Hex } from '../key-format/key.js';
import type { CompiledRule } from '../rules/types.js';
import { findMatches } from '../scanner/engine.js';
import { redact } from '../scanner/redact.js';
import { ALLOW_MARKER } from '../scanner/scan-buffer.js';

/** A key in a path; never the key, and never the path as it is (it holds the key). */
export interface PathSecret {
  ruleId: string;
  secretSha256: string;
  redacted: string;
  /**
   * The path cut after the name (file or folder) that holds the key, every key in it
   * replaced by its hint: `config/neev_…abcd.env`. A key in a folder's name is one
   * place however many files the folder holds.
   */
  place: string;
  /** The deepest folder of the path that holds no key ('' for the top): safe to link to. */
  folder: string;
  /** 1-based column of the key in the path, in UTF-16 code units. */
  column: number;
  /** The path carries a `neevscan:allow` marker. */
  allowed: boolean;
}

/** Every key in `path`, each with its hint-only place. Paths are short: this is a single pass of the engine. */
export function secretsInPath(path: string, rules: readonly CompiledRule[]): PathSecret[] {
  const bytes = Buffer.from(path, 'utf8');
  const matches = findMatches(bytes, rules);
  if (matches.length === 0) return [];
  const redactedPath = redactRanges(bytes, matches);
  const allowed = bytes.includes(ALLOW_MARKER);
  const firstKeyAt = matches[0]!.start;
  const folderEnd = bytes.lastIndexOf(0x2f, firstKeyAt);
  const folder = folderEnd === -1 ? '' : bytes.subarray(0, folderEnd).toString('utf8');
  return matches.map(({ rule, start, end }) => {
    const nameEnd = bytes.indexOf(0x2f, end);
    const place = redactedPath.cut(nameEnd === -1 ? bytes.length : nameEnd);
    return {
      ruleId: rule.id,
      secretSha256: sha256Hex(bytes.subarray(start, end)),
      redacted: redact(bytes.subarray(start, end).toString('utf8')),
      place,
      folder,
      column: bytes.subarray(0, start).toString('utf8').length + 1,
      allowed,
    };
  });
}

/** What tells one path finding from another: a key at a place (a folder's key is one, however many files it holds). */
export function pathSecretId(secret: PathSecret): string {
  return `${secret.place}\0${secret.secretSha256}`;
}

/** A key in a path as a finding of `commit`: no line, the hint-only place as its path. */
export function pathFinding(secret: PathSecret, commit: string): PushFinding {
  return {
    path: secret.place,
    line: null,
    column: secret.column,
    commit,
    secretSha256: secret.secretSha256,
    redacted: secret.redacted,
    ruleId: secret.ruleId,
    inPath: true,
    folder: secret.folder,
    ...(secret.allowed ? { allowMarker: true as const } : {}),
  };
}

/** `path` with every key in it replaced by its hint: the only form of a path that may go into a log or a message. */
export function hidePathSecrets(path: string, rules: readonly CompiledRule[]): string {
  return hiddenPath(path, rules)?.path ?? path;
}

/**
 * For a path that holds a key: the path with each key replaced by its hint, and the deepest folder
 * holding none (to link to); null for a path without a key. Any place a path is stored or shown
 * (an alert, a check run, a notice, a log) takes this form of it.
 */
export function hiddenPath(path: string, rules: readonly CompiledRule[]): { path: string; folder: string } | null {
  const bytes = Buffer.from(path, 'utf8');
  const matches = findMatches(bytes, rules);
  if (matches.length === 0) return null;
  const folderEnd = bytes.lastIndexOf(0x2f, matches[0]!.start);
  return {
    path: redactRanges(bytes, matches).cut(bytes.length),
    folder: folderEnd === -1 ? '' : bytes.subarray(0, folderEnd).toString('utf8'),
  };
}

/** The path with each match replaced by its hint, and a way to cut it at a byte offset of the original. */
function redactRanges(bytes: Buffer, matches: ReadonlyArray<{ start: number; end: number }>): { cut(at: number): string } {
  return {
    cut(at: number): string {
      let out = '';
      let from = 0;
      for (const { start, end } of matches) {
        if (start >= at) break;
        out += bytes.subarray(from, start).toString('utf8') + redact(bytes.subarray(start, end).toString('utf8'));
        from = end;
      }
      return out + bytes.subarray(from, Math.max(from, at)).toString('utf8');
    },
  };
}

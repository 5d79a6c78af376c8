import { sha256Hex } from '../key-format/key.js';
import type { CompiledRule } from '../rules/types.js';
import { findMatches } from './engine.js';
import type { Located } from './finding.js';
import { Locator, START_OF_INPUT, lineBounds, utf16Length, type LineState } from './position.js';
import { redact } from './redact.js';

/** The inline marker that allows a secret on its line: `neevscan:allow`. */
export const ALLOW_MARKER = Buffer.from('neevscan:allow');

export interface ScanBufferOptions {
  /** Report only secrets starting in [acceptFrom, acceptTo) (a chunk of a stream); default the whole buffer. */
  acceptFrom?: number;
  acceptTo?: number;
  /** Where the buffer starts in its input: line number and column carry (for chunks of a stream). */
  lineState?: LineState;
  /** Offset of the buffer's first byte in its input. */
  baseOffset?: number;
}

/**
 * `scan(bytes, rules) → findings`: pure, no I/O, on raw bytes (no whole-buffer
 * decoding, so binary data and invalid UTF-8 are scanned as they are).
 */
export function scanBuffer(bytes: Buffer, rules: readonly CompiledRule[], options: ScanBufferOptions = {}): Located[] {
  const whole = options.acceptFrom === undefined && options.acceptTo === undefined && options.lineState === undefined;
  const utf16 = whole ? utf16Encoding(bytes) : undefined;
  if (utf16 === undefined) return scanBytes(bytes, rules, options);
  // UTF-16 text (Windows tools write it, with a byte-order mark): scan it as the text it is, and as bytes too,
  // in case the mark was a binary file's first two bytes; a secret found both ways is reported once, by the text.
  const text = Buffer.from(new TextDecoder(utf16).decode(bytes), 'utf8');
  const asText = scanBytes(text, rules, options);
  const seen = new Set(asText.map((f) => f.secretSha256));
  return [...asText, ...scanBytes(bytes, rules, options).filter((f) => !seen.has(f.secretSha256))];
}

/** The UTF-16 encoding a byte-order mark announces, if any. */
function utf16Encoding(bytes: Buffer): 'utf-16le' | 'utf-16be' | undefined {
  if (bytes.length < 2) return undefined;
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return 'utf-16le';
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return 'utf-16be';
  return undefined;
}

function scanBytes(bytes: Buffer, rules: readonly CompiledRule[], options: ScanBufferOptions): Located[] {
  const matches = findMatches(bytes, rules, options.acceptFrom ?? 0, options.acceptTo ?? bytes.length);
  if (matches.length === 0) return [];
  const locator = new Locator(bytes, options.lineState ?? START_OF_INPUT);
  const baseOffset = options.baseOffset ?? 0;
  // The line of the last match and whether it holds the marker: one read per line, not per match (a long line may hold thousands).
  let bounds = { start: 0, end: -1 };
  let allowed = false;
  return matches.map(({ rule, start, end }) => {
    const { line, column } = locator.locate(start);
    const { endLine, endColumn } = endOf(bytes, start, end, line, column);
    const secret = bytes.subarray(start, end);
    if (start < bounds.start || start > bounds.end) {
      bounds = lineBounds(bytes, start);
      const marker = bytes.indexOf(ALLOW_MARKER, bounds.start);
      allowed = marker !== -1 && marker < bounds.end;
    }
    return {
      ruleId: rule.id,
      line,
      column,
      endLine,
      endColumn,
      secretSha256: sha256Hex(secret),
      redacted: redact(secret.toString('utf8')),
      offset: baseOffset + start,
      allowed,
    };
  });
}

function endOf(bytes: Buffer, start: number, end: number, line: number, column: number) {
  let lastNewline = -1;
  let newlines = 0;
  for (let at = bytes.indexOf(0x0a, start); at !== -1 && at < end; at = bytes.indexOf(0x0a, at + 1)) {
    newlines++;
    lastNewline = at;
  }
  if (newlines === 0) return { endLine: line, endColumn: column + utf16Length(bytes, start, end) };
  return { endLine: line + newlines, endColumn: utf16Length(bytes, lastNewline + 1, end) + 1 };
}

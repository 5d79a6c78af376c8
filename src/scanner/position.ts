/**
 * Line and column of byte offsets, computed only where something was found.
 * Lines end at `\n` (a `\r` before it belongs to the line, as in git). Columns
 * count UTF-16 code units from 1, as JavaScript strings and SARIF do; invalid
 * UTF-8 counts as the U+FFFD the standard decoder makes of it.
 */

const NEWLINE = 0x0a;

/** Where the buffer starts within its input, for a buffer that is one chunk of a stream. */
export interface LineState {
  /** The 1-based line number of the buffer's first byte. */
  line: number;
  /** UTF-16 units of that line that stand before the buffer's first byte. */
  columnCarry: number;
}

export const START_OF_INPUT: LineState = { line: 1, columnCarry: 0 };

export interface Position {
  line: number;
  column: number;
}

/** Locates ascending offsets in one buffer, counting newlines once from one to the next. */
export class Locator {
  private cursor = 0;
  private line: number;
  private lineStart = -1; // -1: the line began before the buffer
  /** The last offset located on the current line and its column, so that many finds on one long line are counted once. */
  private lastOffset = -1;
  private lastColumn = 0;

  constructor(
    private readonly bytes: Buffer,
    private readonly state: LineState = START_OF_INPUT,
  ) {
    this.line = state.line;
  }

  /** Offsets must come in ascending order. */
  locate(offset: number): Position {
    if (offset < this.cursor) throw new RangeError('Locator offsets must ascend');
    let at = this.bytes.indexOf(NEWLINE, this.cursor);
    while (at !== -1 && at < offset) {
      this.line++;
      this.lineStart = at + 1;
      this.lastOffset = -1;
      at = this.bytes.indexOf(NEWLINE, at + 1);
    }
    this.cursor = offset;
    let column: number;
    if (this.lastOffset !== -1 && startsCharacter(this.bytes, this.lastOffset)) {
      // Counting on from the last find gives the same count as from the line's start when it began a character.
      column = this.lastColumn + utf16Length(this.bytes, this.lastOffset, offset);
    } else {
      const from = this.lineStart === -1 ? 0 : this.lineStart;
      const carry = this.lineStart === -1 ? this.state.columnCarry : 0;
      column = carry + utf16Length(this.bytes, from, offset) + 1;
    }
    this.lastOffset = offset;
    this.lastColumn = column;
    return { line: this.line, column };
  }
}

/**
 * True when no UTF-8 sequence can run through `offset` (the byte there is not
 * a continuation byte), so decoding up to it and from it counts as decoding
 * straight through: the decoder ends a pending sequence at such a byte either way.
 */
function startsCharacter(bytes: Buffer, offset: number): boolean {
  const byte = bytes[offset];
  return byte === undefined || byte < 0x80 || byte >= 0xc0;
}

/** The UTF-16 length of `bytes[start, end)` decoded as UTF-8. */
export function utf16Length(bytes: Buffer, start: number, end: number): number {
  if (end <= start) return 0;
  // Pure ASCII (the common case) needs no decoding.
  let ascii = true;
  for (let i = start; i < end; i++) {
    if (bytes[i]! >= 0x80) {
      ascii = false;
      break;
    }
  }
  return ascii ? end - start : bytes.toString('utf8', start, end).length;
}

/** Counts the `\n` bytes of bytes[start, end): the native addon's, where a caller has it. */
export type NewlineCounter = (bytes: Buffer, start: number, end: number) => number;

/**
 * The line state at `offset` of a buffer that started at `state`: how a stream carries positions from chunk to chunk.
 * With `countNewlines` the lines are counted in one call; without, one indexOf call a line.
 */
export function advanceLineState(bytes: Buffer, offset: number, state: LineState, countNewlines?: NewlineCounter): LineState {
  if (countNewlines) {
    const lines = countNewlines(bytes, 0, offset);
    if (lines === 0) return { line: state.line, columnCarry: state.columnCarry + utf16Length(bytes, 0, offset) };
    const lastNewline = bytes.lastIndexOf(NEWLINE, offset - 1);
    return { line: state.line + lines, columnCarry: utf16Length(bytes, lastNewline + 1, offset) };
  }
  let line = state.line;
  let lastNewline = -1;
  let at = bytes.indexOf(NEWLINE, 0);
  while (at !== -1 && at < offset) {
    line++;
    lastNewline = at;
    at = bytes.indexOf(NEWLINE, at + 1);
  }
  if (lastNewline === -1) return { line, columnCarry: state.columnCarry + utf16Length(bytes, 0, offset) };
  return { line, columnCarry: utf16Length(bytes, lastNewline + 1, offset) };
}

/** The bounds of the line holding `offset`, within the buffer. */
export function lineBounds(bytes: Buffer, offset: number): { start: number; end: number } {
  const start = offset === 0 ? 0 : bytes.lastIndexOf(NEWLINE, offset - 1) + 1;
  const newline = bytes.indexOf(NEWLINE, offset);
  return { start, end: newline === -1 ? bytes.length : newline };
}

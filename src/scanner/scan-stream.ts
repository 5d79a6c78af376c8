import type { CompiledRule } from '../rules/types.js';
import type { Located } from './finding.js';
import { START_OF_INPUT, advanceLineState } from './position.js';
import { scanBuffer } from './scan-buffer.js';

/**
 * Bytes of context kept from one chunk to the next. A secret is reported by
 * the chunk its first byte falls in, and that chunk must also hold the bytes
 * the regex looks at around it: the rule's window on each side.
 */
export function overlapFor(rules: readonly CompiledRule[]): { before: number; after: number } {
  const window = Math.max(256, ...rules.map((r) => r.window));
  return { before: window + 1024, after: 2 * window + 1024 };
}

/**
 * Where a buffer of a stream is cut: secrets starting in [acceptFrom, acceptTo)
 * belong to it, and its bytes from `next` on are carried into the next buffer.
 * Undefined when the buffer is too short to cut yet. The next buffer starts on
 * the first byte of a UTF-8 sequence, so column counts never split a character.
 */
export function cutChunk(
  buffer: Uint8Array,
  length: number,
  acceptFrom: number,
  overlap: { before: number; after: number },
): { next: number; acceptTo: number } | undefined {
  if (length < acceptFrom + overlap.before + overlap.after) return undefined;
  let next = length - overlap.after - overlap.before;
  for (let step = 0; step < 3 && next > acceptFrom && (buffer[next]! & 0xc0) === 0x80; step++) next--;
  return { next, acceptTo: next + overlap.before };
}

export interface StreamResult {
  findings: Located[];
  bytes: number;
}

/**
 * Scans an input that arrives in chunks (a large file, stdin) without holding it
 * whole: each chunk is scanned with the tail of the one before, each secret
 * is reported once, and line numbers and columns run on across chunks.
 */
export async function scanStream(chunks: AsyncIterable<Buffer>, rules: readonly CompiledRule[]): Promise<StreamResult> {
  const overlap = overlapFor(rules);
  const findings: Located[] = [];
  let carry: Buffer = Buffer.alloc(0);
  let carryOffset = 0; // where `carry` starts in the input
  let acceptFrom = 0; // secrets starting before this offset of `carry` were reported already
  let state = START_OF_INPUT;
  let total = 0;

  for await (const chunk of chunks) {
    total += chunk.length;
    const buffer = carry.length === 0 ? chunk : Buffer.concat([carry, chunk]);
    const cut = cutChunk(buffer, buffer.length, acceptFrom, overlap);
    if (!cut) {
      carry = buffer;
      continue;
    }
    const { next, acceptTo } = cut;
    findings.push(...scanBuffer(buffer, rules, { acceptFrom, acceptTo, lineState: state, baseOffset: carryOffset }));
    state = advanceLineState(buffer, next, state);
    carry = Buffer.from(buffer.subarray(next)); // a copy, so the large chunk can be freed
    carryOffset += next;
    acceptFrom = acceptTo - next;
  }
  findings.push(...scanBuffer(carry, rules, { acceptFrom, lineState: state, baseOffset: carryOffset }));
  return { findings, bytes: total };
}

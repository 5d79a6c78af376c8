import type { Readable } from 'node:stream';
import type { CompiledRule } from '../rules/types.js';
import { scanStream } from '../scanner/scan-stream.js';
import { placeFindings } from './locate.js';
import type { SourceResult } from './types.js';

/** Scans standard input as it streams in; findings are named `-`. */
export async function scanStdin(rules: readonly CompiledRule[], input: Readable = process.stdin): Promise<SourceResult> {
  const { findings, bytes } = await scanStream(input as AsyncIterable<Buffer>, rules);
  return { findings: placeFindings(findings, '-', null), files: 1, bytes, warnings: [] };
}

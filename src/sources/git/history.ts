import type { CompiledRule } from '../../rules/types.js';
import type { Progress, SourceResult } from '../types.js';
import { NeevscanError } from '../../errors.js';

export interface HistoryOptions {
  rules: readonly CompiledRule[];
  maxFileSize: number;
  onProgress?: Progress;
}

export async function scanHistory(cwd: string, range: string | undefined, options: HistoryOptions): Promise<SourceResult> {
  void cwd; void range; void options;
  throw new NeevscanError('--git is being built', 'todo');
}

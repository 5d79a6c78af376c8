import { NeevscanError } from '../errors.js';
import { terminalSafe } from '../report/terminal-safe.js';

/** The exit status of a command that threw (2), after one line on stderr saying why. */
export function errorStatus(error: unknown): number {
  if (error instanceof NeevscanError) {
    process.stderr.write(`neevscan: ${terminalSafe(error.message)}\n`);
    return 2;
  }
  process.stderr.write(`neevscan: unexpected error: ${terminalSafe((error as Error).message)}\n`);
  return 2;
}

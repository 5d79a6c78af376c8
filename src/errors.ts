/**
 * The one error type the CLI turns into "one clear line on stderr, exit 2":
 * bad arguments, unreadable input, a bad rule file, not a git repo.
 */
export class NeevscanError extends Error {
  constructor(
    message: string,
    /** A stable string code, for tests and scripts. */
    readonly code: string,
  ) {
    super(message);
    this.name = 'NeevscanError';
  }
}

/**
 * One Octokit per token of GITHUB_TOKENS, all reporting their budgets to one
 * TokenPool, and a way to run a piece of work with whichever token has budget:
 * a token that runs dry mid-way hands the work to the next one. Rate limits
 * are not waited out here (the pool says when all are spent, and the caller
 * decides whether to wait or skip), so no request hangs for an hour.
 */
import { createTokenClient, type GitHubClient, type Log } from './client.js';
import { rateLimitedUntil, TokenPool } from './token-pool.js';

export interface TokenClientsOptions {
  apiUrl: string;
  tokens: readonly string[];
  log: Log;
  /** Requests each token keeps back for the poller's own reads of the feed. @defaultValue 0 */
  reserve?: number;
  /** plugin-retry's unit of backoff in ms (tests: 1). @defaultValue 1000 */
  retryAfterBaseValue?: number;
}

/** Every token is spent, or resting, until `resetAt` (ms since the epoch; null: every token was refused). */
export class BudgetSpentError extends Error {
  constructor(readonly resetAt: number | null) {
    super(
      resetAt === null ? 'every GitHub token was refused (401)' : `every GitHub token is spent until ${new Date(resetAt).toISOString()}`,
    );
    this.name = 'BudgetSpentError';
  }
}

interface HttpFailure {
  status?: number;
  response?: { headers?: Record<string, string | number | undefined> };
}

export class TokenClients {
  readonly pool: TokenPool;
  private readonly clients: GitHubClient[];

  constructor(private readonly options: TokenClientsOptions) {
    this.pool = new TokenPool(options.tokens, { reserve: options.reserve ?? 0 });
    this.clients = options.tokens.map((token, index) => {
      const label = `token ${index + 1}`;
      const client = createTokenClient({
        apiUrl: options.apiUrl,
        token,
        label,
        log: options.log,
        rateLimitRetries: 0,
        retryAfterBaseValue: options.retryAfterBaseValue,
      });
      client.hook.after('request', (response) => this.pool.observe(index, response.headers as Record<string, string>));
      client.hook.error('request', (error) => {
        const failure = error as HttpFailure;
        if (failure.response?.headers) this.pool.observe(index, failure.response.headers);
        if (failure.status === 401) {
          this.pool.refuse(index);
          options.log(`github: ${label} of GITHUB_TOKEN/GITHUB_TOKENS was refused (401 Bad credentials); not used again until restart`);
        }
        throw error;
      });
      return client;
    });
  }

  /**
   * Runs `work` with the token that has the most budget left; when that token is spent or refused
   * mid-way, runs it again with the next. BudgetSpentError when no token is left.
   */
  async run<T>(work: (client: GitHubClient, index: number) => Promise<T>): Promise<T> {
    for (let attempt = 0; attempt <= this.pool.size; attempt++) {
      const picked = this.pool.pick();
      if (!picked) break;
      try {
        return await work(this.clients[picked.index]!, picked.index);
      } catch (error) {
        const failure = error as HttpFailure;
        const until = failure.status === undefined ? null : rateLimitedUntil(failure.status, failure.response?.headers ?? {});
        if (until !== null) this.pool.pause(picked.index, until);
        else if (failure.status !== 401) throw error;
      }
    }
    throw new BudgetSpentError(this.pool.nextReset());
  }
}

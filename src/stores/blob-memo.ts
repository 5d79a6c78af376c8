import type { RedisClient } from './redis.js';
import type { Located } from '../scanner/finding.js';

/** What is remembered of a scanned blob: its findings, as the engine gives them (hashes, hints, places; never a key). */
export type BlobFindings = Array<Pick<Located, 'ruleId' | 'line' | 'column' | 'secretSha256' | 'redacted' | 'allowed'>>;

/** A week: forks and mirrors of a repository are usually scanned within days of each other. */
const TTL_SECONDS = 7 * 24 * 3600;

/**
 * Blob SHA → what scanning it found, shared by every worker: a blob is the
 * same bytes in every repository and fork that holds it, so it is fetched and
 * scanned once. Keyed by the rules' fingerprint too, so new rules rescan.
 */
export class BlobMemo {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly rulesVersion: string,
  ) {}

  private key(sha: string): string {
    return `${this.prefix}{blob}:${this.rulesVersion}:${sha}`;
  }

  async get(sha: string): Promise<BlobFindings | undefined> {
    const json = await this.redis.get(this.key(sha)).catch(() => null);
    return json === null ? undefined : (JSON.parse(json) as BlobFindings);
  }

  async set(sha: string, findings: BlobFindings): Promise<void> {
    const kept = findings.map(({ ruleId, line, column, secretSha256, redacted, allowed }) => ({
      ruleId,
      line,
      column,
      secretSha256,
      redacted,
      allowed,
    }));
    // A lost write only costs a rescan later: never fail the job over it.
    await this.redis.set(this.key(sha), JSON.stringify(kept), 'EX', TTL_SECONDS).catch(() => undefined);
  }
}

import type { RedisClient } from './redis.js';
import type { PushFinding } from '../core/push-finding.js';

/** What is remembered of a scanned public push: the old head it was read from, and what it added (hashes, hints, places; never a key). */
export interface ScannedPush {
  before: string;
  findings: PushFinding[];
  truncated: boolean;
}

/**
 * Six hours: forks and mirrors push the same commits within minutes to hours
 * of each other. One entry per push the workers scan (~100–300 bytes in
 * Redis), so at 10 pushes a second this holds about 200,000 entries.
 */
const TTL_SECONDS = 6 * 3600;

/**
 * Head SHA → what the push that brought it added, shared by every worker: a
 * fork or mirror pushing the same commits (same head, same old head) is not
 * fetched from GitHub again. Keyed by the rules' fingerprint, so new rules rescan.
 */
export class PushMemo {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly rulesVersion: string,
  ) {}

  private key(head: string): string {
    return `${this.prefix}{pushscan}:${this.rulesVersion}:${head}`;
  }

  async get(head: string): Promise<ScannedPush | undefined> {
    const json = await this.redis.get(this.key(head)).catch(() => null);
    return json === null ? undefined : (JSON.parse(json) as ScannedPush);
  }

  async set(head: string, scanned: ScannedPush): Promise<void> {
    const findings = scanned.findings.map(
      ({ path, line, column, commit, secretSha256, redacted, ruleId, allowMarker, inPath, folder }) => ({
        path,
        line,
        column,
        commit,
        secretSha256,
        redacted,
        ruleId,
        allowMarker,
        inPath,
        folder,
      }),
    );
    // A lost write only costs a refetch later: never fail the job over it.
    await this.redis
      .set(this.key(head), JSON.stringify({ before: scanned.before, findings, truncated: scanned.truncated }), 'EX', TTL_SECONDS)
      .catch(() => undefined);
  }
}

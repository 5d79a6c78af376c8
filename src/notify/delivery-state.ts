import { InvalidIdError } from '../stores/ids.js';
import type { RedisClient } from '../stores/redis.js';
import { alertStoreNames, type AlertStoreNames } from '../stores/alert-store-names.js';
import type { AlertNotification } from '../core/alert.js';
import { StoreUnavailableError } from '../core/errors.js';
import { LuaScript } from '../stores/lua-script.js';
import { CLAIM_CHANNEL, SCHEDULE_NOTICE, SETTLE_CHANNEL, TAKE_NOTICE } from './delivery-state-scripts.js';

const SCRIPTS = {
  scheduleNotice: new LuaScript<[string, number]>(SCHEDULE_NOTICE),
  takeNotice: new LuaScript<string | null>(TAKE_NOTICE),
  claimChannel: new LuaScript<[string, string | number]>(CLAIM_CHANNEL),
  settleChannel: new LuaScript<number>(SETTLE_CHANNEL),
};

export type Channel = AlertNotification['channel'];

/** A notice: the number-th message about an alert, covering its places [from, to) in recording order. */
export interface TakenNotice {
  number: number;
  from: number;
  to: number;
}

export type Claim = { outcome: 'claimed'; attempts: number } | { outcome: 'done'; status: string } | { outcome: 'busy' };

/**
 * How long a claim keeps other workers off a channel. Longer than any one
 * send can take (webhooks give up after 5 s, SMTP after its timeouts), so a
 * live sender is never doubled; a claim left by a crashed worker lapses and
 * the channel is tried again.
 */
export const CLAIM_LEASE_MS = 120_000;

/**
 * The notifier's per-alert bookkeeping, on the alert store's Redis slot
 * (scripts in delivery-state-scripts.ts): which notices were taken and which
 * places they covered, and per (notice, channel) the status the alert shows.
 * Every Redis failure is StoreUnavailableError: a retry.
 */
export class DeliveryState {
  private readonly names: AlertStoreNames;

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
  ) {
    this.names = alertStoreNames(prefix);
  }

  /**
   * The job to enqueue for an alert that has a new place: the first notice's
   * job (`alert-<id>`) until that notice is taken, then one follow-up job at a
   * time, delayed until `followUpMs` after the last notice.
   */
  async schedule(
    alertId: string,
    now: number,
    timing: { delayMs: number; followUpMs: number },
  ): Promise<{ jobId: string; delayMs: number }> {
    // A pending job not taken after this long was lost (enqueued, never run): schedule a new one.
    const staleMs = timing.followUpMs + timing.delayMs + 3_600_000;
    const [jobId, delayMs] = await this.call(() =>
      SCRIPTS.scheduleNotice.run(this.redis, [this.names.notifyState(alertId)], [alertId, now, timing.delayMs, timing.followUpMs, staleMs]),
    );
    return { jobId, delayMs: Math.max(0, Number(delayMs)) };
  }

  /** The notice this job sends: taken on its first run, the same on every retry. Null for an unknown alert, 'nothing-new' when every place was told already. */
  async takeNotice(alertId: string, jobId: string, now: number): Promise<TakenNotice | 'nothing-new' | null> {
    const value = await this.call(() =>
      SCRIPTS.takeNotice.run(this.redis, [this.names.alert(alertId), this.names.notifyState(alertId)], [jobId, now]),
    );
    if (value === null) return null;
    if (value === '') return 'nothing-new';
    const [number, from, to] = value.split(',').map(Number) as [number, number, number];
    return { number, from, to };
  }

  /** Claims the channel for one attempt (counted), unless it is settled or another worker holds a live claim. */
  async claim(alertId: string, notice: number, channel: Channel, now: Date): Promise<Claim> {
    const [outcome, value] = await this.call(() =>
      SCRIPTS.claimChannel.run(
        this.redis,
        [this.names.notifications(alertId), this.names.notifyState(alertId)],
        [channel, notice, now.getTime(), now.toISOString(), CLAIM_LEASE_MS],
      ),
    );
    if (outcome === 'claimed') return { outcome, attempts: Number(value) };
    if (outcome === 'done') return { outcome, status: String(value) };
    return { outcome: 'busy' };
  }

  /** Records the channel's outcome; false when it was left as it was (already sent, or a `skipped` already written). */
  async settle(
    alertId: string,
    notice: number,
    channel: Channel,
    status: 'sent' | 'retrying' | 'failed' | 'skipped',
    now: Date,
    error?: string,
  ): Promise<boolean> {
    const written = await this.call(() =>
      SCRIPTS.settleChannel.run(
        this.redis,
        [this.names.notifications(alertId), this.names.notifyState(alertId)],
        [channel, notice, status, now.toISOString(), error ?? ''],
      ),
    );
    return written === 1;
  }

  private async call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      // Not an outage: a string that is not an id, refused before any call (see ids.ts).
      if (error instanceof InvalidIdError) throw error;
      throw new StoreUnavailableError(`notification state unavailable: ${(error as Error).message}`, { cause: error });
    }
  }
}

import { gauge } from './registry.js';

/** What is read of the alert store (metrics knows no store: the caller hands it in). */
interface AlertCounts {
  count(): Promise<{ open: number; resolved: number }>;
}

const stores = new Set<AlertCounts>();

/**
 * Reports open and resolved alerts on /metrics, counted in Redis at each
 * scrape (two ZCARDs' worth). Returns the function that stops it.
 */
export function watchAlertStates(store: AlertCounts): () => void {
  gauge<'state'>({
    name: 'neevscan_alerts',
    help: 'Alerts by state (open, resolved), read from Redis at each scrape',
    labelNames: ['state'],
    async collect() {
      this.reset();
      for (const watched of stores) {
        const counts = await watched.count().catch(() => null);
        if (!counts) continue;
        this.inc({ state: 'open' }, counts.open);
        this.inc({ state: 'resolved' }, counts.resolved);
      }
    },
  });
  stores.add(store);
  return () => void stores.delete(store);
}

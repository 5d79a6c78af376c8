import type { AlertStore } from '../stores/alert-store.js';
import { gauge } from './registry.js';

const stores = new Set<AlertStore>();

/**
 * Reports open and resolved alerts on /metrics, counted in Redis at each
 * scrape (two ZCARDs' worth). Returns the function that stops it.
 */
export function watchAlertStates(store: AlertStore): () => void {
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

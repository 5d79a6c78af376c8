import { counter, histogram } from '../metrics/registry.js';

/** The notifier's metrics. Labels: the channel, and for failures whether it will be retried; never an address or a key. */
export const notifyMetrics = {
  sent: () =>
    counter<'channel'>({ name: 'neevscan_notifications_sent_total', help: 'Notifications delivered, by channel', labelNames: ['channel'] }),
  failed: () =>
    counter<'channel' | 'outcome'>({
      name: 'neevscan_notifications_failed_total',
      help: 'Failed notification attempts, by channel; outcome retry (tried again later) or gave_up (recorded as failed)',
      labelNames: ['channel', 'outcome'],
    }),
  latency: () =>
    histogram<'channel'>({
      name: 'neevscan_notification_latency_seconds',
      help: "From the alert's first sighting to its first notice delivered, by channel",
      labelNames: ['channel'],
      buckets: [0.5, 1, 2, 3, 5, 10, 30, 60, 300, 1800, 3600, 21600],
    }),
};

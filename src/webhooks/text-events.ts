import type { EmitterWebhookEvent } from '@octokit/webhooks';
import { exposuresFromTextEvent, type TextEvent } from '../pipeline/text-events.js';
import { exposureJobs, type DeliveryContext, type Planned } from './planned.js';

/**
 * Issues, comments, pull requests and their reviews, discussions, releases: the
 * text is scanned here, where it arrives, and only what was found (hashes,
 * hints, places) is queued, never the text. The parser (shared with the public
 * events poller) picks the actions that bring new text.
 */
export function planTextEvent(event: EmitterWebhookEvent<TextEvent>, { deliveryId, receivedAt, rules }: DeliveryContext): Planned {
  const exposures = exposuresFromTextEvent(event.name, event.payload, rules, receivedAt);
  if (exposures.length === 0) return { ignored: 'no key in the text' };
  return { jobs: exposureJobs(exposures, deliveryId), counts: { exposures: exposures.length } };
}

import { createEventHandler, type EmitterWebhookEvent, type EmitterWebhookEventName } from '@octokit/webhooks';
import { TEXT_EVENTS, type TextEvent } from '../pipeline/text-events.js';
import { planWiki } from './gollum.js';
import type { DeliveryContext, Handler, Planned } from './planned.js';
import { planPush } from './push.js';
import { planRepoScans, type RepoScanEvent } from './repo-scans.js';
import { planTextEvent } from './text-events.js';
import { planWorkflowRun } from './workflow-run.js';

/** The events the receiver acts on; any other is answered `ignored`. */
export type HandledEvent = 'push' | 'gollum' | 'workflow_run' | RepoScanEvent | TextEvent;

const textHandlers = Object.fromEntries(TEXT_EVENTS.map((name) => [name, planTextEvent])) as { [E in TextEvent]: Handler<E> };

/**
 * Dispatch as a table: event name → handler. Each handler reads the actions
 * it acts on itself (an `issues` `closed` brings no text; an `installation`
 * `deleted` asks for no scan) and says why when it plans nothing.
 */
export const WEBHOOK_HANDLERS: { [E in HandledEvent]: Handler<E> } = {
  push: planPush,
  gollum: planWiki,
  installation: planRepoScans,
  installation_repositories: planRepoScans,
  public: planRepoScans,
  workflow_run: planWorkflowRun,
  ...textHandlers,
};

export interface WebhookDispatch {
  /** What a verified delivery becomes; throws only what a handler threw (a bug: the route answers 500). */
  plan(name: string, payload: object, context: DeliveryContext): Promise<Planned>;
}

interface Receipt {
  context: DeliveryContext;
  planned?: Planned;
}

/**
 * The table run through @octokit/webhooks' event handler (the `on` and `receive`
 * of its `Webhooks` class, without the class's verify: see webhooks/verify-delivery.ts).
 * A handler's return value is dropped by `receive`, so each handler's plan is
 * kept on the delivery's receipt, found by the event object `receive` hands
 * on unchanged (no `transform` is set).
 */
export function createWebhookDispatch(handlers: { [E in HandledEvent]: Handler<E> } = WEBHOOK_HANDLERS): WebhookDispatch {
  const events = createEventHandler({});
  const receipts = new WeakMap<object, Receipt>();
  const register = <E extends HandledEvent>(name: E, handler: Handler<E>) =>
    events.on(name, (event) => {
      const receipt = receipts.get(event);
      if (receipt) receipt.planned = handler(event, receipt.context);
    });
  for (const name of Object.keys(handlers) as HandledEvent[]) register(name, handlers[name] as Handler<HandledEvent>);

  return {
    async plan(name, payload, context) {
      // Only the table's own names reach `receive`: its hooks are a plain object, where `constructor` or `__proto__`
      // would find something that is not a handler.
      if (!Object.hasOwn(handlers, name)) return { ignored: `event ${name} is not handled yet` };
      const event = { id: context.deliveryId, name: name as EmitterWebhookEventName, payload } as EmitterWebhookEvent;
      const receipt: Receipt = { context };
      receipts.set(event, receipt);
      try {
        await events.receive(event);
      } catch (error) {
        throw handlerError(error);
      }
      return receipt.planned ?? { ignored: `event ${name} is not handled yet` };
    },
  };
}

/**
 * The error a handler threw, out of the AggregateError `receive` wraps it in, without the `event` `receive` sets
 * on both: the payload holds user text (a key, maybe), and the server's error log prints an error's own fields.
 */
function handlerError(error: unknown): unknown {
  const inner = error instanceof AggregateError && error.errors.length > 0 ? (error.errors[0] as unknown) : error;
  if (inner !== null && typeof inner === 'object' && 'event' in inner) delete (inner as { event?: unknown }).event;
  return inner;
}

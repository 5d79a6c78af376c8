import examples from '@octokit/webhooks-examples';

/**
 * GitHub's example webhook payloads, one entry per event name. The package's own types describe a different
 * shape (its JSON-schema view of each event), so the list is cast once here to what the tests read: the event
 * name and its example payloads as plain objects. Tests narrow `examples` further where they need to.
 */
export const webhookExamples = examples as unknown as Array<{ name: string; examples: Array<Record<string, any>> }>;

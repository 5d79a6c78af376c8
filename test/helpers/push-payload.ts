import { webhookExamples } from './webhook-examples.js';

type Payload = Record<string, any>;

/** GitHub's own push example (an App installation's), the base of every push a test sends. */
const pushExample = (webhookExamples as Array<{ name: string; examples: Payload[] }>)
  .find((e) => e.name === 'push')!
  .examples.find((e) => e.ref === 'refs/heads/master' && e.installation)!;

export interface PushPayloadOptions {
  owner?: string;
  name: string;
  private?: boolean;
  before: string;
  after: string;
  installation: number;
  /** The head commit's `timestamp` (its author's clock): now unless given; any value, as a hostile payload may send. */
  committedAt?: unknown;
  /** `repository.pushed_at` (Unix seconds, when GitHub received the push): now unless given; `undefined` leaves it out. */
  pushedAt?: unknown;
}

/** GitHub's push example pointed at a stand-in repository's branch `main`, from `before` to `after`, one commit listed. */
export function githubPushPayload(options: PushPayloadOptions): Payload {
  const { owner = 'octo-org', name, before, after } = options;
  const committedAt = 'committedAt' in options ? options.committedAt : new Date().toISOString();
  const pushedAt = 'pushedAt' in options ? options.pushedAt : Math.floor(Date.now() / 1000);
  return {
    ...pushExample,
    ref: 'refs/heads/main',
    before,
    after,
    created: false,
    deleted: false,
    forced: false,
    commits: [{ ...pushExample.commits[0], id: after, timestamp: committedAt }],
    head_commit: { ...pushExample.head_commit, id: after, timestamp: committedAt },
    repository: {
      ...pushExample.repository,
      pushed_at: pushedAt,
      name,
      full_name: `${owner}/${name}`,
      owner: { ...pushExample.repository.owner, login: owner, name: owner },
      private: options.private ?? false,
      default_branch: 'main',
      html_url: `https://github.com/${owner}/${name}`,
    },
    installation: { ...pushExample.installation, id: options.installation },
  };
}

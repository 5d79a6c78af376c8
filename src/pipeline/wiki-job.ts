import { WIKI_QUEUE } from '../core/queue-names.js';

/** The wiki queue: one job per `gollum` delivery (wiki pages created or edited). */
export { WIKI_QUEUE };

/**
 * A wiki edit as the worker needs it: the page commits to fetch and where
 * the pages live. No page text, title or edit summary (user text; the
 * receiver scans those where they arrive).
 */
export interface WikiJob {
  deliveryId: string;
  /** The App installation whose token reads the wiki; null: a public wiki, read anonymously. */
  installationId: number | null;
  owner: string;
  repo: string;
  /** The repository's git URL (`…/repo.git`); the wiki is `…/repo.wiki.git` beside it. */
  cloneUrl: string;
  htmlUrl: string;
  private: boolean;
  /** Each page's latest commit in the wiki repository, and a link to the page. */
  pages: Array<{ sha: string; url: string }>;
  receivedAt: string;
}

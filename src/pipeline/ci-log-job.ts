import { CI_LOG_QUEUE } from '../core/queue-names.js';

/** The ci-log queue: one job per completed GitHub Actions run (`workflow_run` completed). */
export { CI_LOG_QUEUE };

/**
 * A completed run as the worker needs it: where to fetch its logs and how to link to it. Never log text
 * (the worker downloads the archive itself, and keeps none of it).
 */
export interface CiLogJob {
  deliveryId: string;
  /** The App installation whose token reads the run's logs (Actions: read). */
  installationId: number;
  owner: string;
  repo: string;
  runId: number;
  /** The run's page (`https://github.com/o/r/actions/runs/1`): every place found links there. */
  htmlUrl: string;
  /** The run's head commit, when the payload gave a SHA. */
  headSha: string | null;
  /** The repository is public, and so are its runs' logs. */
  public: boolean;
  receivedAt: string;
}

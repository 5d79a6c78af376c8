/**
 * A GitHub Actions run's logs archive, downloaded to a file with a cap on its size. GitHub answers
 * `GET /repos/{owner}/{repo}/actions/runs/{run_id}/logs` with a 302 to a short-lived signed URL of a zip;
 * the zip is fetched from there without the installation token (the URL carries its own authorisation,
 * and is on another host).
 */
import { createWriteStream } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { GitHubClient } from './client.js';

export type RunLogsDownload =
  | { saved: true; bytes: number }
  /** Over the cap (by its Content-Length, or counted as it streamed): nothing was scanned. */
  | { saved: false; reason: 'too-large'; bytes: number }
  /** 404 or 410: the run's logs expired (retention) or were deleted. */
  | { saved: false; reason: 'gone'; status: number };

/** The longest an archive download may take (256 MiB at well under 1 MB/s). */
const DOWNLOAD_TIMEOUT_MS = 10 * 60_000;

class OverCap extends Error {
  constructor(readonly bytes: number) {
    super(`over the cap at ${bytes} bytes`);
  }
}

/** Downloads the run's logs archive to `dest`, counting bytes as they arrive; stops at `maxBytes`. */
export async function downloadRunLogs(
  client: GitHubClient,
  run: { owner: string; repo: string; runId: number },
  dest: string,
  maxBytes: number,
): Promise<RunLogsDownload> {
  let location: string | undefined;
  try {
    const answer = await client.rest.actions.downloadWorkflowRunLogs({
      owner: run.owner,
      repo: run.repo,
      run_id: run.runId,
      // The 302 is read here, not followed: following it would buffer the whole zip in memory.
      request: { redirect: 'manual' },
    });
    location = answer.headers.location ?? undefined;
  } catch (error) {
    const status = (error as { status?: number }).status;
    if (status === 404 || status === 410) return { saved: false, reason: 'gone', status };
    throw error;
  }
  if (!location) throw new Error(`logs of run ${run.runId}: GitHub answered without a Location to the archive`);

  // A stalled download must not hold the job for ever: the job is retried instead.
  const response = await fetch(location, { redirect: 'follow', signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS) });
  if (response.status === 404 || response.status === 410) {
    await response.body?.cancel();
    return { saved: false, reason: 'gone', status: response.status };
  }
  if (!response.ok || !response.body) {
    await response.body?.cancel();
    throw new Error(`logs of run ${run.runId}: the archive answered ${response.status}`);
  }
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body.cancel();
    return { saved: false, reason: 'too-large', bytes: declared };
  }
  let bytes = 0;
  const count = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      // A missing or false Content-Length is caught here, as the bytes arrive.
      if (bytes > maxBytes) return done(new OverCap(bytes));
      done(null, chunk);
    },
  });
  try {
    await pipeline(Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>), count, createWriteStream(dest));
  } catch (error) {
    if (error instanceof OverCap) return { saved: false, reason: 'too-large', bytes: error.bytes };
    throw error;
  }
  return { saved: true, bytes };
}

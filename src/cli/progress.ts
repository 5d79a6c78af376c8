import { formatBytes } from '../report/text.js';
import type { Progress } from '../sources/types.js';

/**
 * A progress line on stderr for long scans, only when stderr is a terminal:
 * it appears after the first second and is redrawn at most ten times a second.
 */
export function progressBar(stream: NodeJS.WriteStream = process.stderr): { update: Progress; done: () => void } {
  if (!stream.isTTY) return { update: () => {}, done: () => {} };
  const started = Date.now();
  let drawn = 0;
  let shown = false;
  const update: Progress = ({ files, bytes, total }) => {
    const now = Date.now();
    if (now - started < 1000 || now - drawn < 100) return;
    drawn = now;
    shown = true;
    const width = 24;
    const bar = total ? `[${'#'.repeat(Math.round((files / total) * width)).padEnd(width, '.')}] ` : '';
    const count = total ? `${files}/${total} files` : `${files} files`;
    stream.write(`\r\x1b[2K${bar}${count}, ${formatBytes(bytes)}`);
  };
  return { update, done: () => shown && stream.write('\r\x1b[2K') };
}

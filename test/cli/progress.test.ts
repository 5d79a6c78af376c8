import { describe, expect, it, vi } from 'vitest';
import { progressBar } from '../../src/cli/progress.js';

function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  return { stream: { isTTY, write: (s: string) => writes.push(s) } as unknown as NodeJS.WriteStream, writes };
}

describe('progress bar', () => {
  it('stays silent when stderr is not a terminal', () => {
    const { stream, writes } = fakeStream(false);
    const bar = progressBar(stream);
    bar.update({ files: 1, bytes: 10, total: 2 });
    bar.done();
    expect(writes).toEqual([]);
  });

  it('appears after a second on a terminal, at most ten times a second, and clears itself', () => {
    vi.useFakeTimers();
    try {
      const { stream, writes } = fakeStream(true);
      const bar = progressBar(stream);
      bar.update({ files: 1, bytes: 100, total: 10 });
      expect(writes).toEqual([]); // a short scan shows nothing
      vi.advanceTimersByTime(1200);
      bar.update({ files: 5, bytes: 2048, total: 10 });
      bar.update({ files: 6, bytes: 4096, total: 10 }); // within 100 ms: not redrawn
      expect(writes).toHaveLength(1);
      expect(writes[0]).toContain('5/10 files, 2.0 KiB');
      expect(writes[0]).toContain('[############............]');
      bar.done();
      expect(writes.at(-1)).toBe('\r\x1b[2K');
    } finally {
      vi.useRealTimers();
    }
  });
});

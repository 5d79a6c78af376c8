import { Redis } from 'ioredis';

/**
 * Waits until the redis-server the caller started on `port` answers PING (loading its append-only file, it answers
 * with an error until done), for up to 10 s. `alive` is asked first on each try, so a server that exited fails at once
 * rather than at the deadline; the errors carry `what` and the server's `output`.
 */
export async function waitForPing(port: number, what: string, output: () => string, alive: () => boolean = () => true): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (!alive()) throw new Error(`${what} exited: ${output()}`);
    const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => {});
    try {
      await probe.connect();
      if ((await probe.ping()) === 'PONG') return;
    } catch {
      /* not up yet */
    } finally {
      probe.disconnect();
    }
    if (Date.now() > deadline) throw new Error(`${what} on ${port} did not answer: ${output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

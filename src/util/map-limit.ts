/**
 * `Promise.all(items.map(fn))` with at most `limit` calls in flight, results
 * in input order. For fan-outs whose size comes from outside (the keys in a
 * push, the tokens in a partner batch), so one large input cannot open
 * thousands of requests at once.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

/**
 * Cuts a list into `count` runs of consecutive items with about equal total
 * weight. Consecutive, because blobs listed in history order sit near each
 * other in pack files (and deltas against each other), which keeps each
 * reader's git process on warm caches.
 */
export function splitByWeight<T>(items: readonly T[], weight: (item: T) => number, count: number): T[][] {
  const total = items.reduce((sum, item) => sum + weight(item), 0);
  const shares: T[][] = [];
  let share: T[] = [];
  let taken = 0;
  for (const item of items) {
    share.push(item);
    taken += weight(item);
    if (shares.length < count - 1 && taken >= (total * (shares.length + 1)) / count) {
      shares.push(share);
      share = [];
    }
  }
  if (share.length > 0 || shares.length === 0) shares.push(share);
  return shares.filter((s) => s.length > 0);
}

/**
 * How many events went by unread: the feed keeps only the newest 300, so when
 * more than that arrive between two reads, the oldest of them are gone before
 * the poller can page to them.
 *
 * Event ids increase with time. When a read stops at the feed's depth limit
 * without reaching the previous read's newest id (the cursor), the ids between
 * the cursor and the oldest event read were never seen. Their count is an
 * estimate of the events lost, once scaled by how densely ids fall in the
 * feed: GitHub numbers every event on the site (private ones too) from one
 * sequence, so the public feed holds only some of the ids in any range. The
 * density is measured on the read itself (events read per id spanned); on a
 * feed that numbers only its own events (the test stand-in) it is 1 and the
 * estimate is exact. On GitHub it is an estimate: density varies over minutes.
 */
export function estimateLost(cursor: bigint | null, readIds: readonly bigint[]): number {
  if (cursor === null || readIds.length === 0) return 0;
  let oldest = readIds[0]!;
  let newest = readIds[0]!;
  for (const id of readIds) {
    if (id < oldest) oldest = id;
    if (id > newest) newest = id;
  }
  const gap = oldest - cursor - 1n;
  if (gap <= 0n) return 0;
  // One event read, or all with one id: no spread to measure density on; count the gap as is.
  const density = newest > oldest ? Math.min(1, (readIds.length - 1) / Number(newest - oldest)) : 1;
  return Math.round(Number(gap) * density);
}

import { describe, expect, it } from 'vitest';
import { mergeShardPages, type ShardPage } from '../../src/stores/alert-query.js';

const at = (score: number, id: string) => ({ score, id: `alt_${id.padEnd(16, '0')}` });

describe('mergeShardPages', () => {
  it('takes the newest across shards, ties by id in reverse byte order, and a full page ends with a cursor', () => {
    const pages: ShardPage[] = [
      { status: 'done', last: at(5, 'a'), entries: [at(9, 'a'), at(5, 'a')], examined: 4 },
      { status: 'done', last: at(5, 'b'), entries: [at(9, 'B'), at(5, 'b')], examined: 4 },
    ];
    expect(mergeShardPages(pages, 3)).toEqual({ page: [at(9, 'a'), at(9, 'B'), at(5, 'b')], next: at(5, 'b') });
    expect(mergeShardPages(pages, 4)).toEqual({ page: [at(9, 'a'), at(9, 'B'), at(5, 'b'), at(5, 'a')], next: null });
  });

  it('stops where the first shard that stopped early stopped: nothing past it is known from that shard', () => {
    const pages: ShardPage[] = [
      // Cut at its scan share, having examined down to score 7 (matching only one of them).
      { status: 'cut', last: at(7, 'c'), entries: [at(8, 'c')], examined: 4 },
      { status: 'done', last: at(1, 'd'), entries: [at(9, 'd'), at(7, 'd'), at(7, 'Z'), at(1, 'd')], examined: 4 },
    ];
    // Score 7 with an id after the cut's in byte order comes before it; those at or after it wait for the next page.
    expect(mergeShardPages(pages, 10)).toEqual({ page: [at(9, 'd'), at(8, 'c'), at(7, 'd')], next: at(7, 'c') });
  });

  it('a shard that filled its page bounds the others the same way', () => {
    const pages: ShardPage[] = [
      { status: 'full', last: at(6, 'e'), entries: [at(8, 'e'), at(6, 'e')], examined: 4 },
      { status: 'done', last: at(2, 'f'), entries: [at(7, 'f'), at(2, 'f')], examined: 4 },
    ];
    expect(mergeShardPages(pages, 2)).toEqual({ page: [at(8, 'e'), at(7, 'f')], next: at(7, 'f') });
    expect(mergeShardPages(pages, 5)).toEqual({ page: [at(8, 'e'), at(7, 'f'), at(6, 'e')], next: at(6, 'e') });
  });
});

import { describe, expect, it } from 'vitest';
import { estimateLost } from '../../src/poller/loss.js';

const range = (from: number, count: number, step = 1) => Array.from({ length: count }, (_, i) => BigInt(from + i * step));

describe('estimateLost', () => {
  it('no cursor (first read) or a read that reaches the cursor: nothing lost', () => {
    expect(estimateLost(null, range(1000, 300))).toBe(0);
    expect(estimateLost(1000n, range(1001, 300))).toBe(0);
  });

  it('consecutive ids (the stand-in): the gap is exactly the events missed', () => {
    // Read 1151…1450 after a cursor of 1000: 1001…1150 went by unread.
    expect(estimateLost(1000n, range(1151, 300))).toBe(150);
  });

  it("sparse ids (GitHub numbers every event, private ones too): the gap is scaled by the read's density", () => {
    // One public event per 10 ids: a gap of 1,000 ids is about 100 events.
    expect(estimateLost(0n, range(1001, 300, 10))).toBe(100);
  });

  it('a single event read counts the gap as it is', () => {
    expect(estimateLost(10n, [21n])).toBe(10);
  });
});

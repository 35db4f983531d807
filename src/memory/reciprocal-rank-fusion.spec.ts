import { describe, expect, it } from 'vitest';
import { fuseRankings, RRF_K } from './reciprocal-rank-fusion.js';

describe('fuseRankings (Cormack et al. 2009)', () => {
  it('scores each item 1/(k + rank) per list and sums over the lists', () => {
    const fused = fuseRankings([
      ['a', 'b', 'c'],
      ['c', 'd'],
    ]);
    const score = Object.fromEntries(fused.map((f) => [f.key, f.score]));
    expect(score.c).toBeCloseTo(1 / (RRF_K + 3) + 1 / (RRF_K + 1));
    expect(score.a).toBeCloseTo(1 / (RRF_K + 1));
    expect(score.d).toBeCloseTo(1 / (RRF_K + 2));
    // b and d tie (both second in one list): b was met first.
    expect(fused.map((f) => f.key)).toEqual(['c', 'a', 'b', 'd']);
    expect(fused.find((f) => f.key === 'c')?.ranks).toEqual([3, 1]);
    expect(fused.find((f) => f.key === 'b')?.ranks).toEqual([2, null]);
  });

  it('puts an item both lists rank third above items only one list ranks first (k = 60)', () => {
    const fused = fuseRankings([
      ['text-1', 'text-2', 'both'],
      ['vec-1', 'vec-2', 'both'],
    ]);
    expect(fused[0]?.key).toBe('both');
  });

  it('lets a small k favour one list’s top hit over agreement', () => {
    const fused = fuseRankings(
      [
        ['text-1', 'text-2', 'both'],
        ['vec-1', 'vec-2', 'both'],
      ],
      1,
    );
    expect(fused[0]?.key).toBe('text-1');
  });

  it('keeps first-met order among equal scores, counts a repeated key at its best rank, and takes empty lists', () => {
    expect(fuseRankings([['x', 'y'], [], ['y', 'x']]).map((f) => f.key)).toEqual(['x', 'y']);
    const [only] = fuseRankings([['a', 'a']]);
    expect(only?.score).toBeCloseTo(1 / (RRF_K + 1));
    expect(fuseRankings([[], []])).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { pageRank } from './page-rank.js';

// a→b (1), b→c (2), a→c (3), c→a (1), d alone (dangling).
const nodes = ['a', 'b', 'c', 'd'];
const edges = [
  { from: 'a', to: 'b', weight: 1 },
  { from: 'b', to: 'c', weight: 2 },
  { from: 'a', to: 'c', weight: 3 },
  { from: 'c', to: 'a', weight: 1 },
];

const rounded = (ranks: Map<string, number>) =>
  Object.fromEntries([...ranks].map(([k, v]) => [k, Math.round(v * 1e4) / 1e4]));

describe('pageRank', () => {
  // Expected values from networkx 3.6.1: nx.pagerank(G, weight='weight'[, personalization=…]).
  it('matches networkx on a weighted graph with a dangling node', () => {
    expect(rounded(pageRank(nodes, edges, { tolerance: 1e-10 }))).toEqual({
      a: 0.4022,
      b: 0.1331,
      c: 0.4171,
      d: 0.0476,
    });
  });

  it('matches networkx with a personalisation vector', () => {
    const personalization = new Map([
      ['d', 1],
      ['b', 1],
    ]);
    expect(rounded(pageRank(nodes, edges, { personalization, tolerance: 1e-10 }))).toEqual({
      a: 0.3094,
      b: 0.1962,
      c: 0.364,
      d: 0.1304,
    });
  });

  it('ignores edges to unknown nodes and non-positive weights; empty graphs rank nothing', () => {
    const ranks = pageRank(
      ['x', 'y'],
      [
        { from: 'x', to: 'zz', weight: 5 },
        { from: 'x', to: 'y', weight: 0 },
      ],
    );
    expect(rounded(ranks)).toEqual({ x: 0.5, y: 0.5 });
    expect(pageRank([], [])).toEqual(new Map());
  });
});

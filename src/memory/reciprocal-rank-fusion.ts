/**
 * Reciprocal rank fusion (Cormack, Clarke and Büttcher, "Reciprocal Rank Fusion outperforms Condorcet and
 * individual Rank Learning Methods", SIGIR 2009): each list gives an item `1 / (k + rank)` (rank from 1),
 * an item's score is the sum over the lists it appears in, and items are ordered by that score. It needs
 * only ranks, so full-text scores (`ts_rank_cd`) and cosine similarities, which live on different scales,
 * combine without calibration; `k = 60` is the paper's constant, which damps the weight of the very first
 * ranks so that agreement between lists counts more than one list's top hit.
 */

/** The paper's constant. */
export const RRF_K = 60;

/** One fused item: its key, its RRF score and its rank in each list (null where it is absent). */
export interface FusedItem<K> {
  key: K;
  score: number;
  ranks: (number | null)[];
}

/**
 * Fuses ranked lists of keys (best first) into one list, best first. Ties keep the order in which items
 * were first met (list by list, rank by rank), so the result is deterministic. A key repeated within one
 * list counts at its best rank.
 */
export function fuseRankings<K>(lists: readonly (readonly K[])[], k = RRF_K): FusedItem<K>[] {
  const items = new Map<K, FusedItem<K>>();
  lists.forEach((list, l) => {
    list.forEach((key, i) => {
      let item = items.get(key);
      if (item === undefined) {
        item = { key, score: 0, ranks: lists.map(() => null) };
        items.set(key, item);
      }
      if (item.ranks[l] === null) {
        item.ranks[l] = i + 1;
        item.score += 1 / (k + i + 1);
      }
    });
  });
  // Array.prototype.sort is stable: equal scores keep their first-met order.
  return [...items.values()].sort((a, b) => b.score - a.score);
}

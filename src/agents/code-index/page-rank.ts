/**
 * Personalised PageRank on a weighted directed graph, by power iteration: Page, Brin, Motwani and
 * Winograd, "The PageRank Citation Ranking" (1999), with the teleport vector biased towards chosen nodes
 * as in Haveliwala, "Topic-Sensitive PageRank" (2002). Semantics follow networkx's `pagerank`, which aider
 * uses for its repo map: an edge passes rank in proportion to its weight among its source's out-edges; a
 * node without out-edges (dangling) gives its rank back along the personalisation vector; iteration stops
 * when the L1 change is below `nodes × tolerance`. (No JavaScript graph library here offers a
 * personalisation vector: graphology-metrics and ngraph.pagerank rank uniformly.)
 */

/** One weighted edge. Parallel edges add up. */
export interface RankEdge {
  from: string;
  to: string;
  weight: number;
}

/** Options of {@link pageRank}. */
export interface PageRankOptions {
  /** Teleport weights per node (normalised here; missing nodes get 0). Empty or absent: uniform. */
  personalization?: ReadonlyMap<string, number>;
  /** Probability of following an edge rather than teleporting (default 0.85). */
  damping?: number;
  /** Per-node convergence tolerance (default 1e-6). */
  tolerance?: number;
  /** Iterations at most (default 100); the last vector is returned if it has not converged. */
  maxIterations?: number;
}

/** The rank of every node (summing to 1). Edges to or from unknown nodes are ignored. */
export function pageRank(
  nodes: readonly string[],
  edges: readonly RankEdge[],
  options: PageRankOptions = {},
): Map<string, number> {
  const n = nodes.length;
  if (n === 0) {
    return new Map();
  }
  const index = new Map(nodes.map((node, i) => [node, i]));
  const damping = options.damping ?? 0.85;
  const tolerance = options.tolerance ?? 1e-6;
  const teleport = teleportVector(nodes, options.personalization);
  const outWeight = new Float64Array(n);
  const links: { from: number; to: number; weight: number }[] = [];
  for (const edge of edges) {
    const from = index.get(edge.from);
    const to = index.get(edge.to);
    if (from === undefined || to === undefined || !(edge.weight > 0)) {
      continue;
    }
    links.push({ from, to, weight: edge.weight });
    outWeight[from] = (outWeight[from] ?? 0) + edge.weight;
  }
  let rank = new Float64Array(n).fill(1 / n);
  for (let iteration = 0; iteration < (options.maxIterations ?? 100); iteration++) {
    let dangling = 0;
    for (let i = 0; i < n; i++) {
      if (outWeight[i] === 0) {
        dangling += rank[i] ?? 0;
      }
    }
    const next = new Float64Array(n);
    for (const link of links) {
      next[link.to] =
        (next[link.to] ?? 0) +
        (damping * (rank[link.from] ?? 0) * link.weight) / (outWeight[link.from] ?? 1);
    }
    let change = 0;
    for (let i = 0; i < n; i++) {
      next[i] = (next[i] ?? 0) + (damping * dangling + (1 - damping)) * (teleport[i] ?? 0);
      change += Math.abs((next[i] ?? 0) - (rank[i] ?? 0));
    }
    rank = next;
    if (change < n * tolerance) {
      break;
    }
  }
  return new Map(nodes.map((node, i) => [node, rank[i] ?? 0]));
}

function teleportVector(
  nodes: readonly string[],
  weights: ReadonlyMap<string, number> | undefined,
): Float64Array {
  const vector = new Float64Array(nodes.length);
  let total = 0;
  for (const [i, node] of nodes.entries()) {
    const weight = Math.max(0, weights?.get(node) ?? 0);
    vector[i] = weight;
    total += weight;
  }
  if (total === 0) {
    return vector.fill(1 / nodes.length);
  }
  return vector.map((w) => w / total);
}

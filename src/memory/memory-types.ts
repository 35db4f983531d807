/**
 * The shapes of project memory: what a memory is (kind, provenance, content), what is asked of the store
 * and what a search returns. Shared by the store, the service and the recall helpers.
 */
import { z } from 'zod';

/**
 * What a memory records:
 * - `spec`: an approved spec (ref `issue#<request>`); `decision`: one decision of it;
 * - `plan`: the Architect's plan and rationale (ref `issue#<request>/plan`); `ticket`: one planned ticket
 *   (ref `issue#<ticket>`);
 * - `review`: review feedback and what changed in answer (ref `pr#<n>/review/<id>`);
 * - `diagnosis`: why a run was blocked and what was tried (ref `issue#<ticket>/run/<run key>`);
 * - `fact`: a repository fact learned (ref `fact/<name>`: setup and test commands, conventions);
 * - `code`: one top-level definition of the base branch (ref `<path>#<symbol>`).
 */
export const MemoryKind = z.enum([
  'spec',
  'decision',
  'plan',
  'ticket',
  'review',
  'diagnosis',
  'fact',
  'code',
]);
export type MemoryKind = z.infer<typeof MemoryKind>;
export const MEMORY_KINDS: readonly MemoryKind[] = MemoryKind.options;

/** A memory to write. `(repositoryId, kind, ref)` names it: writing it again replaces its content. */
export interface NewMemory {
  repositoryId: number;
  kind: MemoryKind;
  /** Provenance, e.g. `issue#12`, `pr#40/review/991`, `src/a.ts#parse` (at most 500 characters). */
  ref: string;
  /** The text remembered and searched (cut at {@link MAX_MEMORY_CHARS}). */
  content: string;
  /** Provenance details: path, lines, commit, PR number, … (JSON values). */
  metadata?: Record<string, string | number | boolean | null>;
}

/** Longest content kept for one memory, in characters (about 5k tokens); the rest is cut. */
export const MAX_MEMORY_CHARS = 16_000;

/** A stored memory as searches return it. */
export interface StoredMemory {
  id: number;
  repositoryId: number;
  kind: MemoryKind;
  ref: string;
  content: string;
  metadata: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
}

/** What a search looks at: one repository, optionally some kinds, optionally only recent memories. */
export interface MemoryFilter {
  repositoryId: number;
  /** Only these kinds (all when absent or empty). */
  kinds?: readonly MemoryKind[];
  /** Only memories written (or last updated) at or after this time. */
  since?: Date;
  /** Only memories whose ref starts with this (e.g. `issue#14/`: what a ticket's runs and reviews left). */
  refPrefix?: string;
}

/** One memory found by one search method, with that method's score (higher is better). */
export interface RankedMemory extends StoredMemory {
  /** `ts_rank_cd` for full text; cosine similarity (1 − distance) for vectors. */
  score: number;
}

/** The embedding model of a repository's stored vectors, and what its policy asks for now. */
export interface MemoryState {
  repositoryId: number;
  /** `<provider>:<model>` of the stored vectors, or null when none is stored. */
  embeddingModel: string | null;
  dimensions: number | null;
  /** The alias the repository's policy named last (`models.embedding`), or null. */
  embeddingAlias: string | null;
  codeBranch: string | null;
  codeCommit: string | null;
}

/** What `forget` removes: memories of some kinds, the memories of one ref, or all of the repository. */
export type ForgetSelector =
  | { kinds: readonly MemoryKind[] }
  | { ref: string }
  | { all: true }
  | { codePaths: readonly string[] };

/** The ticket a pair works on: what the Architect wrote, or a local file for `tandem run`. */
import { z } from 'zod';

/**
 * A ticket: id (issue number or local id), title, description, ordered acceptance criteria and, when the
 * Architect planned it, its likely files and the spec excerpt it comes from; in the workflow, what project
 * memory recalls for it.
 */
export const Ticket = z.object({
  /** Issue number, or a local id (letters, digits, `-`, `_`). Used in branch names and commit subjects. */
  id: z.union([z.number().int().positive(), z.string().regex(/^[A-Za-z0-9_-]{1,40}$/)]),
  title: z.string().min(1).max(200),
  description: z.string().default(''),
  /** Testable acceptance criteria, in the order they are worked. */
  acceptanceCriteria: z.array(z.string().min(1)).min(1).max(30),
  /** Repository paths the Architect expects the ticket to change (hints for the agents, not limits). */
  likelyFiles: z.array(z.string().min(1).max(300)).max(30).optional(),
  /** The part of the approved spec the ticket comes from (at most 4,000 characters). */
  specExcerpt: z.string().max(4_000).optional(),
  /**
   * What project memory recalls for the ticket (its earlier runs and reviews, repository facts, related
   * work and code), Markdown sections within the workflow's recall budget.
   */
  memory: z.string().max(16_000).optional(),
});
export type Ticket = z.infer<typeof Ticket>;

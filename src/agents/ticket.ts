/** The ticket a pair works on: what the Architect wrote, or a local file for `tandem run`. */
import { z } from 'zod';

/** A ticket: id (issue number or local id), title, description and ordered acceptance criteria. */
export const Ticket = z.object({
  /** Issue number, or a local id (letters, digits, `-`, `_`). Used in branch names and commit subjects. */
  id: z.union([z.number().int().positive(), z.string().regex(/^[A-Za-z0-9_-]{1,40}$/)]),
  title: z.string().min(1).max(200),
  description: z.string().default(''),
  /** Testable acceptance criteria, in the order they are worked. */
  acceptanceCriteria: z.array(z.string().min(1)).min(1).max(30),
});
export type Ticket = z.infer<typeof Ticket>;

/**
 * What the PM agent answers when it reads a new request: clarifying questions, or a spec draft.
 * Requested from the model with this JSON schema (structured output) and validated with zod.
 */
import { z } from 'zod';

const Line = z.string().trim().min(1).max(2_000);

/** The spec the PM drafts; rendered to `docs/specs/<n>-<slug>.md` by `renderSpec`. */
export const SpecDraft = z.object({
  title: z.string().trim().min(3).max(120),
  /** Short kebab-case name for the file and branch, e.g. `csv-export`. */
  slug: z
    .string()
    .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'must be kebab-case letters and digits')
    .max(48),
  summary: z.string().trim().min(1).max(4_000),
  userStories: z.array(Line).min(1).max(20),
  /** Each one testable: a developer could write a failing test for it. */
  acceptanceCriteria: z.array(Line).min(1).max(30),
  outOfScope: z.array(Line).max(20).default([]),
  openQuestions: z.array(Line).max(20).default([]),
});
export type SpecDraft = z.infer<typeof SpecDraft>;

/** The PM's first move on a request. */
export const PmDecision = z.discriminatedUnion('action', [
  z.object({
    action: z.literal('ask'),
    /** Questions for the issue author, asked together in one comment. */
    questions: z.array(Line).min(1).max(10),
  }),
  z.object({ action: z.literal('spec'), spec: SpecDraft }),
]);
export type PmDecision = z.infer<typeof PmDecision>;

/** The PM's reading of a free-text comment on a request or its spec PR. */
export const PmReply = z.object({
  /** What to answer in the thread (markdown). */
  reply: z.string().trim().min(1).max(8_000),
  /** Whether the comment reads as approval of the spec; acted on only when the policy sets `inferApproval`. */
  approval: z.enum(['none', 'approve', 'reject']),
  /** When the comment asks for changes: the revised spec. */
  revisedSpec: SpecDraft.optional(),
});
export type PmReply = z.infer<typeof PmReply>;

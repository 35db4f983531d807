/**
 * The PM agent: reads a request (issue and comments) and decides between clarifying questions and a
 * spec draft; answers comments on the request or its spec PR; revises the spec on `/reject <why>`.
 * Pure planning: it takes plain data and a {@link PlanningModel}, never a forge (DESIGN.md dependency
 * rules); the workflow layer does the forge and git I/O. An answer that stays invalid moves the PM to the
 * next alias of its escalation chain (`completeEscalating`).
 */
import { completeEscalating } from './complete-escalating.js';
import { PmDecision, PmReply, SpecDraft } from './pm-decision.js';
import type { PlanningModel } from './planning-model.js';
import { PM_REPLY_SYSTEM, PM_SYSTEM, renderThread } from './pm-prompts.js';

/** The request as the PM sees it. */
export interface RequestThread {
  issue: { number: number; title: string; body: string };
  /** Comments by people on the issue, oldest first (Tandem's own comments excluded). */
  comments: readonly { author: string; body: string }[];
  /** Optional repository map (file list with symbols) for context. */
  repoMap?: string;
  /** What project memory recalls for the request (earlier specs and decisions), Markdown sections. */
  memory?: string;
}

function context(thread: RequestThread): string {
  const map = thread.repoMap ? `\n\nRepository map:\n${thread.repoMap}` : '';
  const memory = thread.memory ? `\n\nFrom project memory:\n${thread.memory}` : '';
  return `${renderThread(thread.issue, thread.comments)}${map}${memory}`;
}

/**
 * First move on a request: questions or a spec.
 * @throws the model layer's errors (`InvalidModelOutputError` when the answer stays invalid with every
 *   alias of the PM's escalation chain)
 */
export async function decideOnRequest(
  model: PlanningModel,
  thread: RequestThread,
): Promise<PmDecision> {
  const { value } = await completeEscalating(
    model,
    'pm',
    {
      step: 'decide',
      messages: [
        { role: 'system', content: PM_SYSTEM },
        {
          role: 'user',
          content: `${context(thread)}\n\nDecide: ask clarifying questions (action "ask") or write the spec (action "spec").`,
        },
      ],
    },
    PmDecision,
  );
  return value;
}

/** Input of {@link replyOnSpec}. */
export interface SpecComment extends RequestThread {
  /** The spec as currently committed (markdown). */
  specMarkdown: string;
  /** The comment to answer. */
  comment: { author: string; body: string };
}

/**
 * Answers a free-text comment on a request whose spec is under review; may return a revised spec and
 * classifies approval (acted upon only when the policy allows inferred approval).
 */
export async function replyOnSpec(model: PlanningModel, input: SpecComment): Promise<PmReply> {
  const { value } = await completeEscalating(
    model,
    'pm',
    {
      step: 'reply',
      messages: [
        { role: 'system', content: PM_REPLY_SYSTEM },
        {
          role: 'user',
          content: `${context(input)}\n\nCurrent spec:\n${input.specMarkdown}\n\nNew comment by @${input.comment.author}:\n${input.comment.body}`,
        },
      ],
    },
    PmReply,
  );
  return value;
}

/** Revises the spec after `/reject <why>` or a review asking for changes; returns the whole new spec. */
export async function reviseSpec(
  model: PlanningModel,
  input: RequestThread & { specMarkdown: string; feedback: string },
): Promise<SpecDraft> {
  const { value } = await completeEscalating(
    model,
    'pm',
    {
      step: 'revise',
      messages: [
        { role: 'system', content: PM_SYSTEM },
        {
          role: 'user',
          content: `${context(input)}\n\nCurrent spec:\n${input.specMarkdown}\n\nThe spec was rejected or needs changes:\n${input.feedback}\n\nReturn the complete revised spec.`,
        },
      ],
    },
    SpecDraft,
  );
  return value;
}

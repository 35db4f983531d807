/**
 * Turns the slash commands of a new comment into permission-checked {@link CommandEvent}s, and answers
 * refused ones with one polite comment (through `ensureComment`, keyed by the comment id, so a retried
 * job never posts it twice). The effect of each command belongs to the workflow.
 *
 * Who may do what (DESIGN.md, repo policy `approverPermission`, default `write`): every command but
 * `/status` needs the policy's permission; `/status` is open to anyone who can comment. Only
 * `comment.created` runs commands: editing a comment never re-runs or adds one.
 */
import { z } from 'zod';
import type { Permission } from '../config/repo-policy.js';
import { ForgeKind, RepoRef, type CommentEvent } from '../forge/forge-event.js';
import type { Forge } from '../forge/types.js';
import { CommandName, type ParsedCommand } from './parse-commands.js';
import type { PermissionChecker } from './permission-checker.js';

/** A command a permitted user issued, ready for the workflow. */
export const CommandEvent = z.object({
  type: z.literal('command'),
  forge: ForgeKind,
  deliveryId: z.string(),
  repo: RepoRef,
  name: CommandName,
  args: z.string(),
  /** Issue or pull request the comment is on. */
  number: z.number().int().positive(),
  isPullRequest: z.boolean(),
  commentId: z.number().int(),
  user: z.string(),
});
export type CommandEvent = z.infer<typeof CommandEvent>;

/** Commands anyone may issue. */
const OPEN_COMMANDS: ReadonlySet<CommandName> = new Set(['status']);

/** Collaborators of {@link authorizeCommands}. */
export interface AuthorizeCommandsOptions {
  forge: Forge;
  permissions: PermissionChecker;
  /** The repository policy's `approverPermission`. */
  required: Permission;
}

/** What happened to the comment's commands. */
export interface AuthorizedCommands {
  accepted: CommandEvent[];
  refused: ParsedCommand[];
}

/**
 * @returns the accepted commands and the refused ones (for which a refusal comment now exists).
 * @throws ForgeRequestError when the permission lookup or the refusal comment fails (retry the job).
 */
export async function authorizeCommands(
  event: CommentEvent,
  options: AuthorizeCommandsOptions,
): Promise<AuthorizedCommands> {
  const commands = event.type === 'comment.created' ? event.comment.commands : [];
  const accepted: CommandEvent[] = [];
  const refused: ParsedCommand[] = [];
  const user = event.comment.author;
  let allowed: boolean | undefined;
  for (const command of commands) {
    if (!OPEN_COMMANDS.has(command.name)) {
      allowed ??= (
        await options.permissions.check(options.forge, event.repo, user, options.required)
      ).allowed;
      if (!allowed) {
        refused.push(command);
        continue;
      }
    }
    accepted.push({
      type: 'command',
      forge: event.forge,
      deliveryId: event.deliveryId,
      repo: event.repo,
      name: command.name,
      args: command.args,
      number: event.issue.number,
      isPullRequest: event.issue.isPullRequest,
      commentId: event.comment.id,
      user,
    });
  }
  if (refused.length > 0) {
    await options.forge.ensureComment(
      event.repo,
      event.issue.number,
      `refusal-${event.comment.id}`,
      refusalText(user, refused, options.required),
    );
  }
  return { accepted, refused };
}

/** The refusal comment: who, which commands, and what permission they would need. */
export function refusalText(
  user: string,
  refused: readonly ParsedCommand[],
  required: Permission,
): string {
  const names = refused.map((c) => `\`/${c.name}\``).join(', ');
  return [
    `Thanks @${user}! I can't act on ${names} for you: ${refused.length === 1 ? 'it needs' : 'they need'} ` +
      `**${required}** permission (or higher) on this repository.`,
    '',
    'A maintainer can run the command instead, or grant you access. `/status` works for everyone.',
  ].join('\n');
}

/**
 * The one event type every forge webhook is normalized into before anything else sees it.
 * GitHub and Gitea payloads are parsed by `github/normalize-github-event.ts` and
 * `gitea/normalize-gitea-event.ts`; this file only defines the shapes. The event carries what the
 * workflow needs and nothing secret: no headers, no tokens, no raw payload.
 */
import { z } from 'zod';
import { ParsedCommand } from '../commands/parse-commands.js';

/** Which forge a repository or event belongs to. */
export const ForgeKind = z.enum(['github', 'gitea']);
export type ForgeKind = z.infer<typeof ForgeKind>;

/** A repository on a forge. `installationId` is set on GitHub (the App installation), never on Gitea. */
export const RepoRef = z.object({
  owner: z.string().min(1),
  name: z.string().min(1),
  installationId: z.number().int().positive().optional(),
});
export type RepoRef = z.infer<typeof RepoRef>;

/** The account that caused the event. `bot` is the forge's own bot flag (GitHub `type: Bot`). */
export const Actor = z.object({ login: z.string(), bot: z.boolean() });
export type Actor = z.infer<typeof Actor>;

/** An issue (or the issue side of a pull request) as seen in an event. */
export const IssueInfo = z.object({
  number: z.number().int().positive(),
  title: z.string(),
  body: z.string(),
  state: z.enum(['open', 'closed']),
  labels: z.array(z.string()),
  author: z.string(),
  isPullRequest: z.boolean(),
  url: z.string(),
});
export type IssueInfo = z.infer<typeof IssueInfo>;

/** A pull request as seen in an event. */
export const PullRequestInfo = z.object({
  number: z.number().int().positive(),
  title: z.string(),
  body: z.string(),
  state: z.enum(['open', 'closed']),
  merged: z.boolean(),
  draft: z.boolean(),
  labels: z.array(z.string()),
  author: z.string(),
  headRef: z.string(),
  headSha: z.string(),
  baseRef: z.string(),
  url: z.string(),
});
export type PullRequestInfo = z.infer<typeof PullRequestInfo>;

/** A comment with the slash commands parsed from it (not yet permission-checked). */
export const CommentInfo = z.object({
  id: z.number().int(),
  body: z.string(),
  author: z.string(),
  url: z.string(),
  commands: z.array(ParsedCommand),
});
export type CommentInfo = z.infer<typeof CommentInfo>;

const base = {
  forge: ForgeKind,
  /** `<forge>-<delivery id>`: the webhook_deliveries key and the BullMQ job id. */
  deliveryId: z.string().min(1),
  sender: Actor,
};
const onRepo = { ...base, repo: RepoRef };

/** Issue opened. */
export const IssueOpened = z.object({
  ...onRepo,
  type: z.literal('issue.opened'),
  issue: IssueInfo,
});
/** Labels of an issue changed. `label` is the added label on GitHub; Gitea only sends the new set (null). */
export const IssueLabeled = z.object({
  ...onRepo,
  type: z.literal('issue.labeled'),
  issue: IssueInfo,
  label: z.string().nullable(),
});
/** Title or body edited; the flags say which. */
export const IssueEdited = z.object({
  ...onRepo,
  type: z.literal('issue.edited'),
  issue: IssueInfo,
  changed: z.object({ title: z.boolean(), body: z.boolean() }),
});
export const IssueClosed = z.object({
  ...onRepo,
  type: z.literal('issue.closed'),
  issue: IssueInfo,
});
/** A comment on an issue or on a pull request's conversation (`issue.isPullRequest`). */
export const CommentCreated = z.object({
  ...onRepo,
  type: z.literal('comment.created'),
  issue: IssueInfo,
  comment: CommentInfo,
});
export const CommentEdited = z.object({
  ...onRepo,
  type: z.literal('comment.edited'),
  issue: IssueInfo,
  comment: CommentInfo,
});
export const PullRequestOpened = z.object({
  ...onRepo,
  type: z.literal('pull_request.opened'),
  pullRequest: PullRequestInfo,
});
/** New commits on the head branch (GitHub `synchronize`, Gitea `synchronized`). */
export const PullRequestSynchronized = z.object({
  ...onRepo,
  type: z.literal('pull_request.synchronized'),
  pullRequest: PullRequestInfo,
});
/** Closed; `pullRequest.merged` tells merged from abandoned. */
export const PullRequestClosed = z.object({
  ...onRepo,
  type: z.literal('pull_request.closed'),
  pullRequest: PullRequestInfo,
});
/** A review was submitted (GitHub `pull_request_review`; Gitea `pull_request_approved|rejected|comment`). */
export const ReviewSubmitted = z.object({
  ...onRepo,
  type: z.literal('review.submitted'),
  pullRequest: PullRequestInfo,
  review: z.object({
    /** GitHub review id; null on Gitea (its webhook does not carry one). */
    id: z.number().int().nullable(),
    state: z.enum(['approved', 'changes_requested', 'commented']),
    body: z.string(),
    author: z.string(),
  }),
});
/** Commits pushed to a branch or tag. */
export const Push = z.object({
  ...onRepo,
  type: z.literal('push'),
  ref: z.string(),
  before: z.string(),
  after: z.string(),
  commitCount: z.number().int().nonnegative(),
});
/** GitHub App installed or uninstalled; lists the repositories the event names (may be empty). */
export const InstallationChanged = z.object({
  ...base,
  type: z.enum(['installation.created', 'installation.deleted']),
  installationId: z.number().int().positive(),
  account: z.string(),
  repositories: z.array(RepoRef),
});

/** Every normalized event; discriminated by `type`. */
export const ForgeEvent = z.discriminatedUnion('type', [
  IssueOpened,
  IssueLabeled,
  IssueEdited,
  IssueClosed,
  CommentCreated,
  CommentEdited,
  PullRequestOpened,
  PullRequestSynchronized,
  PullRequestClosed,
  ReviewSubmitted,
  Push,
  InstallationChanged,
]);
export type ForgeEvent = z.infer<typeof ForgeEvent>;
export type ForgeEventType = ForgeEvent['type'];
export type CommentEvent = z.infer<typeof CommentCreated> | z.infer<typeof CommentEdited>;

/**
 * What a normalizer returns: an event, or the reason a delivery is ignored (a well-formed delivery of
 * an event or action Tandem does not act on, a `ping`, or one sent by Tandem's own bot).
 */
export type Normalized =
  | { kind: 'event'; event: ForgeEvent }
  | { kind: 'ignored'; reason: 'unsupported' | 'ping' | 'own_bot' };

/** The webhook delivery as the HTTP layer hands it to a normalizer: headers already checked. */
export interface RawDelivery {
  /** Event name header (`X-GitHub-Event` / `X-Gitea-Event`). */
  event: string;
  /** Delivery id header as sent by the forge (without the `<forge>-` prefix). */
  deliveryId: string;
  /** Parsed JSON body (unknown: the normalizer validates it). */
  payload: unknown;
}

/** Options shared by both normalizers. */
export interface NormalizeOptions {
  /** Logins of Tandem's own bot accounts (compared case-insensitively); their events are dropped. */
  botLogins: readonly string[];
}

/** True when `login` is one of the bot logins (case-insensitive). */
export function isOwnBot(login: string, botLogins: readonly string[]): boolean {
  const l = login.toLowerCase();
  return botLogins.some((b) => b.toLowerCase() === l);
}

/**
 * zod schemas for the parts of Gitea webhook payloads Tandem reads, after Gitea's Go structs
 * (`modules/structs/hook.go`, `issue.go`, `issue_comment.go`, `pull.go`, `user.go`, `repo.go`).
 * Permissive: only the fields used are declared, unknown fields are dropped.
 */
import { z } from 'zod';

export const GiteaUser = z.object({ id: z.number().int(), login: z.string() });

export const GiteaLabel = z.object({ id: z.number().int(), name: z.string() });

export const GiteaRepository = z.object({
  name: z.string(),
  full_name: z.string(),
  owner: z.object({ login: z.string() }),
});

export const GiteaIssue = z.object({
  number: z.number().int().positive(),
  title: z.string(),
  body: z.string().nullable().optional(),
  state: z.enum(['open', 'closed']),
  labels: z.array(GiteaLabel).nullable().optional(),
  user: GiteaUser,
  html_url: z.string(),
  /** `PullRequestMeta`, set when the issue is a pull request. */
  pull_request: z.object({}).nullable().optional(),
});
export type GiteaIssue = z.infer<typeof GiteaIssue>;

export const GiteaPullRequest = z.object({
  number: z.number().int().positive(),
  title: z.string(),
  body: z.string().nullable().optional(),
  state: z.enum(['open', 'closed']),
  merged: z.boolean().optional(),
  draft: z.boolean().optional(),
  labels: z.array(GiteaLabel).nullable().optional(),
  user: GiteaUser,
  html_url: z.string(),
  head: z.object({ ref: z.string(), sha: z.string() }),
  base: z.object({ ref: z.string() }),
});
export type GiteaPullRequest = z.infer<typeof GiteaPullRequest>;

const envelope = { sender: GiteaUser, repository: GiteaRepository };

/** Fields present on every repository event. */
export const GiteaEnvelope = z.object(envelope);

/** `IssuePayload`. */
export const GiteaIssuePayload = z.object({
  ...envelope,
  action: z.string(),
  issue: GiteaIssue,
  changes: z
    .object({ title: z.unknown().optional(), body: z.unknown().optional() })
    .nullable()
    .optional(),
});

/** `IssueCommentPayload`. */
export const GiteaIssueCommentPayload = z.object({
  ...envelope,
  action: z.string(),
  issue: GiteaIssue,
  comment: z.object({
    id: z.number().int(),
    body: z.string(),
    user: GiteaUser,
    html_url: z.string(),
  }),
  is_pull: z.boolean().optional(),
});

/** `PullRequestPayload` (also the body of the review events, with `review` set). */
export const GiteaPullRequestPayload = z.object({
  ...envelope,
  action: z.string(),
  pull_request: GiteaPullRequest,
  review: z.object({ type: z.string(), content: z.string() }).nullable().optional(),
});

/** `PushPayload`. */
export const GiteaPushPayload = z.object({
  ...envelope,
  ref: z.string(),
  before: z.string(),
  after: z.string(),
  total_commits: z.number().int().optional(),
  commits: z.array(z.unknown()).nullable().optional(),
});

/**
 * zod schemas for the parts of GitHub webhook payloads Tandem reads (docs.github.com "Webhook events and
 * payloads"; checked against the real examples in `@octokit/webhooks-examples`). Permissive: only the
 * fields used are declared, unknown fields are dropped.
 */
import { z } from 'zod';

export const GithubUser = z.object({ login: z.string(), type: z.string().optional() });
export type GithubUser = z.infer<typeof GithubUser>;

export const GithubLabel = z.object({ name: z.string() });

export const GithubRepository = z.object({
  name: z.string(),
  full_name: z.string().optional(),
  owner: z.object({ login: z.string() }),
});

export const GithubInstallationRef = z.object({ id: z.number().int().positive() });

export const GithubIssue = z.object({
  number: z.number().int().positive(),
  title: z.string(),
  body: z.string().nullable().optional(),
  state: z.enum(['open', 'closed']),
  labels: z.array(GithubLabel).optional(),
  user: GithubUser,
  html_url: z.string(),
  pull_request: z.object({}).optional(),
});
export type GithubIssue = z.infer<typeof GithubIssue>;

export const GithubComment = z.object({
  id: z.number().int(),
  body: z.string().nullable(),
  user: GithubUser,
  html_url: z.string(),
});

export const GithubPullRequest = z.object({
  number: z.number().int().positive(),
  title: z.string(),
  body: z.string().nullable().optional(),
  state: z.enum(['open', 'closed']),
  merged: z.boolean().nullable().optional(),
  merged_at: z.string().nullable().optional(),
  draft: z.boolean().optional(),
  labels: z.array(GithubLabel).optional(),
  user: GithubUser,
  html_url: z.string(),
  head: z.object({ ref: z.string(), sha: z.string() }),
  base: z.object({ ref: z.string() }),
});
export type GithubPullRequest = z.infer<typeof GithubPullRequest>;

/** Fields present on every repository event. */
export const GithubEnvelope = z.object({
  action: z.string().optional(),
  sender: GithubUser,
  repository: GithubRepository,
  installation: GithubInstallationRef.optional(),
});

export const GithubIssuesPayload = GithubEnvelope.extend({
  action: z.string(),
  issue: GithubIssue,
  label: GithubLabel.optional(),
  changes: z.object({ title: z.unknown().optional(), body: z.unknown().optional() }).optional(),
});

export const GithubIssueCommentPayload = GithubEnvelope.extend({
  action: z.string(),
  issue: GithubIssue,
  comment: GithubComment,
});

export const GithubPullRequestPayload = GithubEnvelope.extend({
  action: z.string(),
  pull_request: GithubPullRequest,
});

export const GithubReviewPayload = GithubEnvelope.extend({
  action: z.string(),
  pull_request: GithubPullRequest,
  review: z.object({
    id: z.number().int(),
    state: z.string(),
    body: z.string().nullable(),
    user: GithubUser,
  }),
});

export const GithubPushPayload = GithubEnvelope.extend({
  ref: z.string(),
  before: z.string(),
  after: z.string(),
  commits: z.array(z.unknown()).optional(),
});

export const GithubInstallationPayload = z.object({
  action: z.string(),
  sender: GithubUser,
  installation: z.object({
    id: z.number().int().positive(),
    account: z.object({ login: z.string() }).nullable(),
  }),
  repositories: z.array(z.object({ full_name: z.string() })).optional(),
});

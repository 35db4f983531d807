/**
 * zod schemas for the GitHub REST responses the forge reads (docs.github.com/rest; the same shapes as in
 * `@octokit/openapi`). Only the fields used are declared.
 */
import { z } from 'zod';

/** REST labels are objects, but the API documents plain strings too. */
const Label = z.union([z.string(), z.object({ name: z.string() })]);
const labelName = (l: z.infer<typeof Label>): string => (typeof l === 'string' ? l : l.name);

export const GithubIssueResponse = z
  .object({
    number: z.number().int(),
    title: z.string(),
    body: z.string().nullable().optional(),
    state: z.enum(['open', 'closed']),
    labels: z.array(Label),
    user: z.object({ login: z.string() }).nullable(),
    html_url: z.string(),
  })
  .transform((i) => ({
    number: i.number,
    title: i.title,
    body: i.body ?? '',
    state: i.state,
    labels: i.labels.map(labelName),
    author: i.user?.login ?? '',
    url: i.html_url,
  }));

export const GithubPullResponse = z
  .object({
    number: z.number().int(),
    title: z.string(),
    body: z.string().nullable().optional(),
    state: z.enum(['open', 'closed']),
    merged: z.boolean().optional(),
    merged_at: z.string().nullable().optional(),
    draft: z.boolean().optional(),
    html_url: z.string(),
    head: z.object({ ref: z.string(), sha: z.string() }),
    base: z.object({ ref: z.string() }),
  })
  .transform((p) => ({
    number: p.number,
    title: p.title,
    body: p.body ?? '',
    state: p.state,
    merged: p.merged === true || (p.merged_at !== null && p.merged_at !== undefined),
    draft: p.draft ?? false,
    headRef: p.head.ref,
    headSha: p.head.sha,
    baseRef: p.base.ref,
    url: p.html_url,
  }));

export const GithubCommentResponse = z.object({
  id: z.number().int(),
  body: z.string().optional(),
});

export const GithubLabelResponse = z.object({ name: z.string() });

export const GithubReviewCommentResponse = z
  .object({
    id: z.number().int(),
    body: z.string(),
    user: z.object({ login: z.string() }).nullable(),
    path: z.string(),
    line: z.number().int().nullable().optional(),
    pull_request_review_id: z.number().int().nullable(),
  })
  .transform((c) => ({
    id: c.id,
    body: c.body,
    author: c.user?.login ?? '',
    path: c.path,
    line: c.line ?? null,
    reviewId: c.pull_request_review_id,
  }));

export const GithubFileResponse = z.object({
  type: z.literal('file'),
  path: z.string(),
  sha: z.string(),
  content: z.string(),
  encoding: z.string(),
});

export const GithubPermissionResponse = z.object({
  permission: z.string(),
  role_name: z.string().optional(),
});

export const GithubRepoResponse = z.object({ default_branch: z.string() });

export const GithubTokenResponse = z.object({ token: z.string().min(1) });

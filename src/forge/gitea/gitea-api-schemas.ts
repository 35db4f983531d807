/**
 * zod schemas for the Gitea REST responses the forge reads (Gitea's `modules/structs`: `Issue`,
 * `PullRequest`, `Comment`, `Label`, `ContentsResponse`, `PullReview`, `PullReviewComment`,
 * `RepoCollaboratorPermission`). Only the fields used are declared.
 */
import { z } from 'zod';

const labels = z
  .array(z.object({ name: z.string() }))
  .nullable()
  .optional();

export const GiteaIssueResponse = z
  .object({
    number: z.number().int(),
    title: z.string(),
    body: z.string().nullable().optional(),
    state: z.enum(['open', 'closed']),
    labels,
    user: z.object({ login: z.string() }).nullable().optional(),
    html_url: z.string(),
  })
  .transform((i) => ({
    number: i.number,
    title: i.title,
    body: i.body ?? '',
    state: i.state,
    labels: (i.labels ?? []).map((l) => l.name),
    author: i.user?.login ?? '',
    url: i.html_url,
  }));

export const GiteaPullResponse = z
  .object({
    number: z.number().int(),
    title: z.string(),
    body: z.string().nullable().optional(),
    state: z.enum(['open', 'closed']),
    merged: z.boolean().optional(),
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
    merged: p.merged ?? false,
    draft: p.draft ?? /^\s*(wip:|\[wip\])/i.test(p.title),
    headRef: p.head.ref,
    headSha: p.head.sha,
    baseRef: p.base.ref,
    url: p.html_url,
  }));

export const GiteaCommentResponse = z.object({ id: z.number().int(), body: z.string() });

export const GiteaLabelResponse = z.object({ id: z.number().int(), name: z.string() });

export const GiteaContentsResponse = z.object({
  type: z.string(),
  path: z.string(),
  sha: z.string(),
  encoding: z.string().nullable().optional(),
  content: z.string().nullable().optional(),
});

export const GiteaReviewResponse = z.object({ id: z.number().int() });

export const GiteaReviewCommentResponse = z
  .object({
    id: z.number().int(),
    body: z.string(),
    user: z.object({ login: z.string() }).nullable().optional(),
    path: z.string(),
    position: z.number().int().nullable().optional(),
    pull_request_review_id: z.number().int().nullable().optional(),
  })
  .transform((c) => ({
    id: c.id,
    body: c.body,
    author: c.user?.login ?? '',
    path: c.path,
    line: c.position ? c.position : null,
    reviewId: c.pull_request_review_id ?? null,
  }));

export const GiteaPermissionResponse = z.object({ permission: z.string() });

export const GiteaRepoResponse = z.object({ default_branch: z.string() });

export const GiteaUserResponse = z.object({ login: z.string() });

/**
 * The `Forge` interface: everything the workflow asks of GitHub or Gitea, in the style of Renovate's
 * `Platform` (lib/modules/platform/types.ts): one object per repository host, passed in as a parameter,
 * no global. Implementations: `github/github-forge.ts` (Octokit with installation tokens, via Probot)
 * and `gitea/gitea-forge.ts` (REST `/api/v1`, bot token). Numbers are issue / pull request numbers
 * (GitHub's `issue_number`, Gitea's `index`), never database ids.
 */
import type { Permission } from '../config/repo-policy.js';
import type { ForgeKind, RepoRef } from './forge-event.js';

export type { ForgeKind, RepoRef } from './forge-event.js';

/** A file read at a ref. `content` is decoded UTF-8; `sha` is the blob sha. */
export interface ForgeFile {
  path: string;
  content: string;
  sha: string;
}

/** A label to ensure; `color` is 6 hex digits without `#`. */
export interface LabelSpec {
  name: string;
  color: string;
  description?: string;
}

/** An issue as the workflow needs it. */
export interface ForgeIssue {
  number: number;
  title: string;
  body: string;
  state: 'open' | 'closed';
  labels: string[];
  author: string;
  url: string;
}

/** A pull request as the workflow needs it. */
export interface ForgePullRequest {
  number: number;
  title: string;
  body: string;
  state: 'open' | 'closed';
  merged: boolean;
  draft: boolean;
  headRef: string;
  headSha: string;
  baseRef: string;
  url: string;
}

/** A line comment of a review (GitHub "review comment", Gitea review comment). */
export interface ForgeReviewComment {
  id: number;
  body: string;
  author: string;
  path: string;
  /** Line in the new file, when the forge reports one. */
  line: number | null;
  /** Review the comment belongs to, when known. */
  reviewId: number | null;
}

/** What {@link Forge.ensureComment} did. */
export interface EnsuredComment {
  id: number;
  action: 'created' | 'updated' | 'unchanged';
}

/** Commit status states (GitHub's names; Gitea's are the same plus `warning`, unused). */
export type CommitState = 'pending' | 'success' | 'failure' | 'error';

/** Credentials for `git push` over HTTPS, handed to git by an askpass helper, never put in a URL. */
export interface PushCredentials {
  username: string;
  password: string;
}

/** Fields of a new issue. */
export interface NewIssue {
  title: string;
  body: string;
  labels?: string[];
}

/** Fields of an issue update; absent fields are left alone. */
export interface IssueUpdate {
  title?: string;
  body?: string;
  state?: 'open' | 'closed';
}

/** A pull request to find by head branch, or to create when none is open. */
export interface PullRequestSpec {
  head: string;
  base: string;
  title: string;
  body: string;
  /** GitHub draft; on Gitea a `WIP: ` title prefix. */
  draft?: boolean;
}

/** Fields of a pull request update; absent fields are left alone. */
export interface PullRequestUpdate {
  title?: string;
  body?: string;
  state?: 'open' | 'closed';
}

/** Every forge operation the workflow uses. Methods throw `ForgeRequestError` on API failure. */
export interface Forge {
  readonly kind: ForgeKind;
  /** HTTPS clone URL without credentials, e.g. `https://github.com/o/r.git`. */
  cloneUrl(repo: RepoRef): string;
  /** The repository's default branch. */
  getDefaultBranch(repo: RepoRef): Promise<string>;
  /** A file at `ref` (branch, tag or sha; default branch when absent), or null when it does not exist. */
  getFile(repo: RepoRef, path: string, ref?: string): Promise<ForgeFile | null>;

  getIssue(repo: RepoRef, number: number): Promise<ForgeIssue>;
  createIssue(repo: RepoRef, issue: NewIssue): Promise<ForgeIssue>;
  updateIssue(repo: RepoRef, number: number, update: IssueUpdate): Promise<ForgeIssue>;
  closeIssue(repo: RepoRef, number: number): Promise<void>;
  /**
   * The issue (open or closed, not a pull request) labelled `label` whose body carries the hidden
   * `marker` (see `comment-marker.ts`), or null: lets a retried job find an issue it created before
   * it could record the number. Lowest number wins when several match.
   */
  findIssueByMarker(repo: RepoRef, label: string, marker: string): Promise<ForgeIssue | null>;

  /**
   * Creates or updates the one comment on issue/PR `number` that carries the hidden `marker`
   * (see `comment-marker.ts`), so the same logical comment is never posted twice.
   */
  ensureComment(
    repo: RepoRef,
    number: number,
    marker: string,
    body: string,
  ): Promise<EnsuredComment>;

  /** Creates the labels that are missing (with their colours); existing ones are left as they are. */
  ensureLabels(repo: RepoRef, labels: readonly LabelSpec[]): Promise<void>;
  /** Adds labels by name to an issue or PR; missing labels are created first (grey). */
  addLabels(repo: RepoRef, number: number, names: readonly string[]): Promise<void>;
  /** Removes one label; no error when it is not there. */
  removeLabel(repo: RepoRef, number: number, name: string): Promise<void>;

  /** The open pull request from `spec.head` into `spec.base`, created when there is none. */
  findOrCreatePullRequest(
    repo: RepoRef,
    spec: PullRequestSpec,
  ): Promise<{ pullRequest: ForgePullRequest; created: boolean }>;
  getPullRequest(repo: RepoRef, number: number): Promise<ForgePullRequest>;
  updatePullRequest(
    repo: RepoRef,
    number: number,
    update: PullRequestUpdate,
  ): Promise<ForgePullRequest>;
  /** Merges with a merge commit; `sha` guards against merging a head that moved. */
  mergePullRequest(repo: RepoRef, number: number, options?: { sha?: string }): Promise<void>;
  /** Line comments of every review on the pull request, oldest first. */
  listReviewComments(repo: RepoRef, number: number): Promise<ForgeReviewComment[]>;

  /** The user's permission on the repository (`none` when not a collaborator at all). */
  getPermission(repo: RepoRef, login: string): Promise<Permission | 'none'>;
  /** Sets the commit status `context` on `sha`. */
  setCommitStatus(
    repo: RepoRef,
    sha: string,
    status: { state: CommitState; context: string; description: string; targetUrl?: string },
  ): Promise<void>;
  /** Short-lived credentials for `git push` to this repository. Never log them. */
  pushCredentials(repo: RepoRef): Promise<PushCredentials>;
}

/**
 * The parts of {@link Forge} each forge client builds in its own module (`<forge>-repository.ts`,
 * `-issues.ts`, `-labels.ts`, `-pull-requests.ts`) and `create<Forge>Forge` puts together.
 */
export type ForgeRepositoryOperations = Pick<
  Forge,
  | 'cloneUrl'
  | 'getDefaultBranch'
  | 'getFile'
  | 'getPermission'
  | 'setCommitStatus'
  | 'pushCredentials'
>;
/** Issues and their conversation comments; see {@link ForgeRepositoryOperations}. */
export type ForgeIssueOperations = Pick<
  Forge,
  'getIssue' | 'createIssue' | 'updateIssue' | 'closeIssue' | 'findIssueByMarker' | 'ensureComment'
>;
/** Labels of the repository and of one issue or pull request; see {@link ForgeRepositoryOperations}. */
export type ForgeLabelOperations = Pick<Forge, 'ensureLabels' | 'addLabels' | 'removeLabel'>;
/** Pull requests and their review comments; see {@link ForgeRepositoryOperations}. */
export type ForgePullRequestOperations = Pick<
  Forge,
  | 'findOrCreatePullRequest'
  | 'getPullRequest'
  | 'updatePullRequest'
  | 'mergePullRequest'
  | 'listReviewComments'
>;

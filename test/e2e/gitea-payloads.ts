/**
 * Gitea webhook bodies for the end-to-end test, from the fixtures in `test/fixtures/gitea/` (shaped
 * after Gitea's Go structs): the repository (`alice/widgets`) is kept, the issue / pull request /
 * comment / review fields the test needs are overwritten.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Payload = Record<string, any>;

export const GITEA_OWNER = 'alice';
export const GITEA_NAME = 'widgets';

function fixture(file: string, sender: string): Payload {
  const p = JSON.parse(
    readFileSync(join('test', 'fixtures', 'gitea', `${file}.json`), 'utf8'),
  ) as Payload;
  p.sender.login = sender;
  p.sender.username = sender;
  return p;
}

let commentId = 9_000;

/** `issues` / `label_updated` with the trigger label on issue `n`. */
export function giteaIssueLabeled(n: number, title: string, label: string): Payload {
  const p = fixture('issues-label_updated', 'alice');
  p.number = n;
  Object.assign(p.issue, { number: n, title, body: 'Please add CSV export.', state: 'open' });
  p.issue.labels = [{ ...p.issue.labels[0], name: label }];
  return p;
}

/** `issue_comment` / `created` by `author` on issue or pull request `n`. */
export function giteaComment(n: number, author: string, body: string, onPull: boolean): Payload {
  const p = fixture(onPull ? 'issue_comment-created-pull' : 'issue_comment-created', author);
  p.is_pull = onPull;
  Object.assign(p.issue, { number: n, state: 'open', labels: [] });
  Object.assign(p.comment, { id: ++commentId, body });
  p.comment.user.login = author;
  return p;
}

/** The pull-request fields of a webhook body. */
export interface GiteaPull {
  number: number;
  head: string;
  sha: string;
}

function setPull(p: Payload, pr: GiteaPull, merged: boolean): void {
  p.number = pr.number;
  Object.assign(p.pull_request, {
    number: pr.number,
    state: merged ? 'closed' : 'open',
    merged,
    merged_at: merged ? new Date().toISOString() : null,
    labels: [],
  });
  p.pull_request.head.ref = pr.head;
  p.pull_request.head.sha = pr.sha;
  p.pull_request.base.ref = 'main';
}

/** `pull_request_rejected`: a review requesting changes (Gitea sends no review id). */
export function giteaReviewRejected(pr: GiteaPull, body: string): Payload {
  const p = fixture('pull_request_rejected', 'maria');
  setPull(p, pr, false);
  p.review = { ...p.review, content: body };
  return p;
}

/** `pull_request` / `closed`, merged. */
export function giteaPullMerged(pr: GiteaPull): Payload {
  const p = fixture('pull_request-closed-merged', 'maria');
  setPull(p, pr, true);
  return p;
}

/**
 * Real GitHub webhook payloads from `@octokit/webhooks-examples`, retargeted at the fixture repository
 * (`octo/app`, installation 77): repository, installation, sender and the issue / pull request / comment
 * / review fields the test needs are overwritten; everything else stays as GitHub sent it.
 */
import { createRequire } from 'node:module';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Payload = Record<string, any>;

const examples = createRequire(import.meta.url)('@octokit/webhooks-examples') as {
  name: string;
  examples: Payload[];
}[];

export const OWNER = 'octo';
export const NAME = 'app';
export const INSTALLATION = 77;

/** A deep copy of the first example of `event` with `action`, retargeted; `sender` sends it. */
export function githubExample(event: string, action: string, sender: string): Payload {
  const found = examples.find((d) => d.name === event)?.examples.find((e) => e.action === action);
  if (!found) {
    throw new Error(`no example ${event}.${action}`);
  }
  const p = structuredClone(found);
  p.repository.name = NAME;
  p.repository.full_name = `${OWNER}/${NAME}`;
  p.repository.owner.login = OWNER;
  p.installation = { id: INSTALLATION, node_id: 'MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNzc=' };
  p.sender.login = sender;
  p.sender.type = 'User';
  return p;
}

let commentId = 7_000;

/** `issues.labeled` with the trigger label on issue `n`. */
export function issueLabeled(n: number, title: string, label: string): Payload {
  const p = githubExample('issues', 'labeled', 'alice');
  Object.assign(p.issue, {
    number: n,
    title,
    body: 'Please add CSV export.',
    state: 'open',
    labels: [{ ...p.label, name: label }],
    html_url: `https://github.com/${OWNER}/${NAME}/issues/${n}`,
  });
  delete p.issue.pull_request;
  p.issue.user.login = 'alice';
  p.label = { ...p.label, name: label };
  return p;
}

/** `issue_comment.created` by `author` on issue or pull request `n`. */
export function commentCreated(n: number, author: string, body: string, onPull: boolean): Payload {
  const p = githubExample('issue_comment', 'created', author);
  Object.assign(p.issue, { number: n, state: 'open', labels: [] });
  if (onPull) {
    p.issue.pull_request = {
      url: `https://api.github.com/repos/${OWNER}/${NAME}/pulls/${n}`,
      html_url: `https://github.com/${OWNER}/${NAME}/pull/${n}`,
    };
  } else {
    delete p.issue.pull_request;
  }
  Object.assign(p.comment, { id: ++commentId, body });
  p.comment.user.login = author;
  return p;
}

/** The pull-request fields of a webhook payload. */
export interface PullFields {
  number: number;
  head: string;
  sha: string;
  merged: boolean;
}

function setPull(p: Payload, pr: PullFields): void {
  Object.assign(p.pull_request, {
    number: pr.number,
    state: pr.merged ? 'closed' : 'open',
    merged: pr.merged,
    merged_at: pr.merged ? new Date().toISOString() : null,
    draft: false,
    labels: [],
  });
  p.pull_request.head.ref = pr.head;
  p.pull_request.head.sha = pr.sha;
  p.pull_request.base.ref = 'main';
  p.pull_request.user.login = 'tandem-e2e[bot]';
}

/** `pull_request_review.submitted` with "changes requested". */
export function reviewSubmitted(pr: PullFields, reviewId: number, body: string): Payload {
  const p = githubExample('pull_request_review', 'submitted', 'maria');
  setPull(p, pr);
  Object.assign(p.review, { id: reviewId, state: 'changes_requested', body });
  p.review.user.login = 'maria';
  return p;
}

/** `pull_request.closed` (merged by maria). */
export function pullClosed(pr: PullFields): Payload {
  const p = githubExample('pull_request', 'closed', 'maria');
  setPull(p, { ...pr, merged: true });
  return p;
}

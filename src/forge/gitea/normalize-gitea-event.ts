/**
 * Normalizes a Gitea webhook delivery into a {@link ForgeEvent}.
 * Event names are `X-Gitea-Event` values (`HookEventType.Event()` in Gitea's `modules/webhook/type.go`);
 * bodies follow `modules/structs/hook.go`. Handled: `issues` (opened, label_updated, edited, closed),
 * `issue_comment` (created, edited; `is_pull` for pull requests), `pull_request` (opened, synchronized,
 * closed), `pull_request_approved` / `_rejected` / `_comment` (reviews), `push`. Gitea has no
 * installations and no ping event; everything else is ignored as `unsupported`, decided from the event
 * header and the body's `action` alone, before any schema is checked (a delivery Tandem does not act on
 * is never refused for its shape).
 */
import type { z } from 'zod';
import { parseCommands } from '../../commands/parse-commands.js';
import {
  isOwnBot,
  type ForgeEvent,
  type IssueInfo,
  type Normalized,
  type NormalizeOptions,
  type PullRequestInfo,
  type RawDelivery,
} from '../forge-event.js';
import { parsePayload } from '../parse-payload.js';
import {
  GiteaIssueCommentPayload,
  GiteaIssuePayload,
  GiteaPullRequestPayload,
  GiteaPushPayload,
  GiteaEnvelope,
  type GiteaIssue,
  type GiteaPullRequest,
} from './gitea-payloads.js';

const REVIEW_EVENTS = {
  pull_request_approved: 'approved',
  pull_request_rejected: 'changes_requested',
  pull_request_comment: 'commented',
} as const;

/**
 * The deliveries Tandem acts on, as `<event>.<action>` (`HookIssueAction` values in Gitea's
 * `modules/structs/hook.go`); `push` has no action, and the review events are taken whatever their
 * action (Gitea sends `reviewed`).
 */
export const HANDLED_GITEA_EVENTS: readonly string[] = [
  'issues.opened',
  'issues.label_updated',
  'issues.edited',
  'issues.closed',
  'issue_comment.created',
  'issue_comment.edited',
  'pull_request.opened',
  'pull_request.synchronized',
  'pull_request.closed',
  'push',
];

const HANDLED: ReadonlySet<string> = new Set(HANDLED_GITEA_EVENTS);

function isHandled(delivery: RawDelivery): boolean {
  if (delivery.event in REVIEW_EVENTS) {
    return true;
  }
  const action = (delivery.payload as { action?: unknown } | null)?.action;
  return HANDLED.has(typeof action === 'string' ? `${delivery.event}.${action}` : delivery.event);
}

function parse<T extends z.ZodType>(schema: T, delivery: RawDelivery): z.infer<T> {
  return parsePayload('gitea', schema, delivery);
}

function issueInfo(issue: GiteaIssue, isPull = false): IssueInfo {
  return {
    number: issue.number,
    title: issue.title,
    body: issue.body ?? '',
    state: issue.state,
    labels: (issue.labels ?? []).map((l) => l.name),
    author: issue.user.login,
    isPullRequest: isPull || (issue.pull_request !== null && issue.pull_request !== undefined),
    url: issue.html_url,
  };
}

function pullRequestInfo(pr: GiteaPullRequest): PullRequestInfo {
  return {
    number: pr.number,
    title: pr.title,
    body: pr.body ?? '',
    state: pr.state,
    merged: pr.merged ?? false,
    // Gitea marks drafts with a `WIP:` title prefix (its `draft` field is derived from it).
    draft: pr.draft ?? /^\s*(\[wip\]|wip:)/i.test(pr.title),
    labels: (pr.labels ?? []).map((l) => l.name),
    author: pr.user.login,
    headRef: pr.head.ref,
    headSha: pr.head.sha,
    baseRef: pr.base.ref,
    url: pr.html_url,
  };
}

/**
 * @param delivery `X-Gitea-Event`, `X-Gitea-Delivery` and the parsed JSON body.
 * @returns the event, or why it is ignored.
 * @throws WebhookPayloadError when the body does not have the fields its event promises.
 */
export function normalizeGiteaEvent(delivery: RawDelivery, options: NormalizeOptions): Normalized {
  if (!isHandled(delivery)) {
    return { kind: 'ignored', reason: 'unsupported' };
  }
  const head = parse(GiteaEnvelope, delivery);
  if (isOwnBot(head.sender.login, options.botLogins)) {
    return { kind: 'ignored', reason: 'own_bot' };
  }
  const common = {
    forge: 'gitea' as const,
    deliveryId: `gitea-${delivery.deliveryId}`,
    // Gitea's User has no bot flag; bots are recognized by login only.
    sender: { login: head.sender.login, bot: false },
    repo: { owner: head.repository.owner.login, name: head.repository.name },
  };
  const event = toEvent(delivery, common);
  return event ? { kind: 'event', event } : { kind: 'ignored', reason: 'unsupported' };
}

type Common = {
  forge: 'gitea';
  deliveryId: string;
  sender: { login: string; bot: boolean };
  repo: { owner: string; name: string };
};

function toEvent(delivery: RawDelivery, common: Common): ForgeEvent | null {
  switch (delivery.event) {
    case 'issues': {
      const p = parse(GiteaIssuePayload, delivery);
      const issue = issueInfo(p.issue);
      switch (p.action) {
        case 'opened':
          return { ...common, type: 'issue.opened', issue };
        case 'closed':
          return { ...common, type: 'issue.closed', issue };
        case 'label_updated':
          return { ...common, type: 'issue.labeled', issue, label: null };
        case 'edited':
          return {
            ...common,
            type: 'issue.edited',
            issue,
            changed: {
              title: p.changes?.title !== undefined && p.changes.title !== null,
              body: p.changes?.body !== undefined && p.changes.body !== null,
            },
          };
        default:
          return null;
      }
    }
    case 'issue_comment': {
      const p = parse(GiteaIssueCommentPayload, delivery);
      if (p.action !== 'created' && p.action !== 'edited') {
        return null;
      }
      return {
        ...common,
        type: p.action === 'created' ? 'comment.created' : 'comment.edited',
        issue: issueInfo(p.issue, p.is_pull === true),
        comment: {
          id: p.comment.id,
          body: p.comment.body,
          author: p.comment.user.login,
          url: p.comment.html_url,
          commands: parseCommands(p.comment.body),
        },
      };
    }
    case 'pull_request': {
      const p = parse(GiteaPullRequestPayload, delivery);
      const pullRequest = pullRequestInfo(p.pull_request);
      switch (p.action) {
        case 'opened':
          return { ...common, type: 'pull_request.opened', pullRequest };
        case 'synchronized':
          return { ...common, type: 'pull_request.synchronized', pullRequest };
        case 'closed':
          return { ...common, type: 'pull_request.closed', pullRequest };
        default:
          return null;
      }
    }
    case 'push': {
      const p = parse(GiteaPushPayload, delivery);
      return {
        ...common,
        type: 'push',
        ref: p.ref,
        before: p.before,
        after: p.after,
        commitCount: p.total_commits ?? p.commits?.length ?? 0,
      };
    }
    default: {
      const state = REVIEW_EVENTS[delivery.event as keyof typeof REVIEW_EVENTS];
      const p = parse(GiteaPullRequestPayload, delivery);
      return {
        ...common,
        type: 'review.submitted',
        pullRequest: pullRequestInfo(p.pull_request),
        review: { id: null, state, body: p.review?.content ?? '', author: common.sender.login },
      };
    }
  }
}

/**
 * Normalizes a GitHub webhook delivery into a {@link ForgeEvent}.
 * Event and action names: docs.github.com "Webhook events and payloads". Handled: `issues`
 * (opened, labeled, edited, closed), `issue_comment` (created, edited), `pull_request` (opened,
 * synchronize, closed), `pull_request_review` (submitted), `push`, `installation` (created, deleted),
 * `ping`. Everything else is ignored as `unsupported`, and that is decided from the event header and the
 * body's `action` alone, before any schema is checked: a delivery Tandem does not act on is never refused
 * for its shape (GitHub would mark it failed), e.g. `issues.pinned`, whose issue state is not open/closed.
 */
import type { EmitterWebhookEventName } from '@octokit/webhooks';
import type { z } from 'zod';
import { parseCommands } from '../../commands/parse-commands.js';
import {
  isOwnBot,
  type Actor,
  type ForgeEvent,
  type IssueInfo,
  type Normalized,
  type NormalizeOptions,
  type PullRequestInfo,
  type RawDelivery,
  type RepoRef,
} from '../forge-event.js';
import { parsePayload } from '../parse-payload.js';
import {
  GithubEnvelope,
  GithubInstallationPayload,
  GithubIssueCommentPayload,
  GithubIssuesPayload,
  GithubPullRequestPayload,
  GithubPushPayload,
  GithubReviewPayload,
  type GithubIssue,
  type GithubPullRequest,
  type GithubUser,
} from './github-payloads.js';

const REVIEW_STATES = {
  approved: 'approved',
  changes_requested: 'changes_requested',
  commented: 'commented',
} as const;

function parse<T extends z.ZodType>(schema: T, delivery: RawDelivery): z.infer<T> {
  return parsePayload('github', schema, delivery);
}

function actor(user: GithubUser): Actor {
  return { login: user.login, bot: user.type === 'Bot' };
}

function issueInfo(issue: GithubIssue): IssueInfo {
  return {
    number: issue.number,
    title: issue.title,
    body: issue.body ?? '',
    state: issue.state,
    labels: (issue.labels ?? []).map((l) => l.name),
    author: issue.user.login,
    isPullRequest: issue.pull_request !== undefined,
    url: issue.html_url,
  };
}

function pullRequestInfo(pr: GithubPullRequest): PullRequestInfo {
  return {
    number: pr.number,
    title: pr.title,
    body: pr.body ?? '',
    state: pr.state,
    merged: pr.merged === true || (pr.merged_at !== null && pr.merged_at !== undefined),
    draft: pr.draft ?? false,
    labels: (pr.labels ?? []).map((l) => l.name),
    author: pr.user.login,
    headRef: pr.head.ref,
    headSha: pr.head.sha,
    baseRef: pr.base.ref,
    url: pr.html_url,
  };
}

function repoRef(envelope: z.infer<typeof GithubEnvelope>): RepoRef {
  const ref: RepoRef = { owner: envelope.repository.owner.login, name: envelope.repository.name };
  if (envelope.installation) {
    ref.installationId = envelope.installation.id;
  }
  return ref;
}

/**
 * @param delivery event header, delivery id header and the parsed JSON body.
 * @returns the event, or why it is ignored.
 * @throws WebhookPayloadError when the body does not have the fields its event promises.
 */
export function normalizeGithubEvent(delivery: RawDelivery, options: NormalizeOptions): Normalized {
  const deliveryId = `github-${delivery.deliveryId}`;
  if (delivery.event === 'ping') {
    return { kind: 'ignored', reason: 'ping' };
  }
  if (!HANDLED.has(deliveryName(delivery))) {
    return { kind: 'ignored', reason: 'unsupported' };
  }
  if (delivery.event === 'installation') {
    const p = parse(GithubInstallationPayload, delivery);
    if (p.action !== 'created' && p.action !== 'deleted') {
      return { kind: 'ignored', reason: 'unsupported' };
    }
    const installationId = p.installation.id;
    const repositories = (p.repositories ?? []).flatMap((r): RepoRef[] => {
      const [owner, name] = r.full_name.split('/');
      return owner && name ? [{ owner, name, installationId }] : [];
    });
    const event: ForgeEvent = {
      type: `installation.${p.action}`,
      forge: 'github',
      deliveryId,
      sender: actor(p.sender),
      installationId,
      account: p.installation.account?.login ?? '',
      repositories,
    };
    return { kind: 'event', event };
  }
  const envelope = parse(GithubEnvelope, delivery);
  if (isOwnBot(envelope.sender.login, options.botLogins)) {
    return { kind: 'ignored', reason: 'own_bot' };
  }
  const common = { forge: 'github' as const, deliveryId, sender: actor(envelope.sender) };
  const repo = repoRef(envelope);
  const event = toEvent(delivery, { ...common, repo });
  return event ? { kind: 'event', event } : { kind: 'ignored', reason: 'unsupported' };
}

/**
 * The deliveries Tandem acts on, as `<event>.<action>` (the bare event for `push`, which has no action);
 * typed against `@octokit/webhooks`' list of GitHub's event names, so a misspelt name does not compile.
 */
export const HANDLED_GITHUB_EVENTS = [
  'issues.opened',
  'issues.labeled',
  'issues.edited',
  'issues.closed',
  'issue_comment.created',
  'issue_comment.edited',
  'pull_request.opened',
  'pull_request.synchronize',
  'pull_request.closed',
  'pull_request_review.submitted',
  'push',
  'installation.created',
  'installation.deleted',
] as const satisfies readonly EmitterWebhookEventName[];

const HANDLED: ReadonlySet<string> = new Set(HANDLED_GITHUB_EVENTS);

/** `<event>.<action>` of a delivery, or the bare event when the body has no string `action`. */
function deliveryName(delivery: RawDelivery): string {
  const action = (delivery.payload as { action?: unknown } | null)?.action;
  return typeof action === 'string' ? `${delivery.event}.${action}` : delivery.event;
}

type Common = { forge: 'github'; deliveryId: string; sender: Actor; repo: RepoRef };

function toEvent(delivery: RawDelivery, common: Common): ForgeEvent | null {
  switch (delivery.event) {
    case 'issues': {
      const p = parse(GithubIssuesPayload, delivery);
      const issue = issueInfo(p.issue);
      switch (p.action) {
        case 'opened':
          return { ...common, type: 'issue.opened', issue };
        case 'closed':
          return { ...common, type: 'issue.closed', issue };
        case 'labeled':
          return { ...common, type: 'issue.labeled', issue, label: p.label?.name ?? null };
        case 'edited':
          return {
            ...common,
            type: 'issue.edited',
            issue,
            changed: { title: p.changes?.title !== undefined, body: p.changes?.body !== undefined },
          };
        default:
          return null;
      }
    }
    case 'issue_comment': {
      const p = parse(GithubIssueCommentPayload, delivery);
      if (p.action !== 'created' && p.action !== 'edited') {
        return null;
      }
      const body = p.comment.body ?? '';
      return {
        ...common,
        type: p.action === 'created' ? 'comment.created' : 'comment.edited',
        issue: issueInfo(p.issue),
        comment: {
          id: p.comment.id,
          body,
          author: p.comment.user.login,
          url: p.comment.html_url,
          commands: parseCommands(body),
        },
      };
    }
    case 'pull_request': {
      const p = parse(GithubPullRequestPayload, delivery);
      const pullRequest = pullRequestInfo(p.pull_request);
      switch (p.action) {
        case 'opened':
          return { ...common, type: 'pull_request.opened', pullRequest };
        case 'synchronize':
          return { ...common, type: 'pull_request.synchronized', pullRequest };
        case 'closed':
          return { ...common, type: 'pull_request.closed', pullRequest };
        default:
          return null;
      }
    }
    case 'pull_request_review': {
      const p = parse(GithubReviewPayload, delivery);
      const state = REVIEW_STATES[p.review.state.toLowerCase() as keyof typeof REVIEW_STATES];
      if (p.action !== 'submitted' || state === undefined) {
        return null;
      }
      return {
        ...common,
        type: 'review.submitted',
        pullRequest: pullRequestInfo(p.pull_request),
        review: { id: p.review.id, state, body: p.review.body ?? '', author: p.review.user.login },
      };
    }
    case 'push': {
      const p = parse(GithubPushPayload, delivery);
      return {
        ...common,
        type: 'push',
        ref: p.ref,
        before: p.before,
        after: p.after,
        commitCount: p.commits?.length ?? 0,
      };
    }
    default:
      return null;
  }
}

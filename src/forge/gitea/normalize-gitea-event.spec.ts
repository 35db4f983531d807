/* eslint-disable @typescript-eslint/no-explicit-any -- webhook payloads are free-form JSON here */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { WebhookPayloadError } from '../../errors/webhook-payload-error.js';
import { ForgeEvent } from '../forge-event.js';
import { normalizeGiteaEvent } from './normalize-gitea-event.js';

/** Fixtures shaped after Gitea's modules/structs (see test/fixtures/gitea/README.md). */
function fixture(name: string): Record<string, any> {
  const url = new URL(`../../../test/fixtures/gitea/${name}.json`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as Record<string, any>;
}

const normalize = (event: string, payload: unknown, botLogins: string[] = ['tandem-bot']) =>
  normalizeGiteaEvent({ event, deliveryId: 'abc-1', payload }, { botLogins });

function eventOf(event: string, payload: unknown, botLogins: string[] = []): ForgeEvent {
  const result = normalize(event, payload, botLogins);
  if (result.kind !== 'event') {
    throw new Error(`ignored: ${result.reason}`);
  }
  return ForgeEvent.parse(result.event);
}

describe('normalizeGiteaEvent', () => {
  const cases: [string, string, ForgeEvent['type']][] = [
    ['issues', 'issues-opened', 'issue.opened'],
    ['issues', 'issues-label_updated', 'issue.labeled'],
    ['issues', 'issues-edited', 'issue.edited'],
    ['issues', 'issues-closed', 'issue.closed'],
    ['issue_comment', 'issue_comment-created', 'comment.created'],
    ['issue_comment', 'issue_comment-created-pull', 'comment.created'],
    ['issue_comment', 'issue_comment-edited', 'comment.edited'],
    ['pull_request', 'pull_request-opened', 'pull_request.opened'],
    ['pull_request', 'pull_request-synchronized', 'pull_request.synchronized'],
    ['pull_request', 'pull_request-closed-merged', 'pull_request.closed'],
    ['pull_request_approved', 'pull_request_approved', 'review.submitted'],
    ['pull_request_rejected', 'pull_request_rejected', 'review.submitted'],
    ['pull_request_comment', 'pull_request_comment', 'review.submitted'],
    ['push', 'push', 'push'],
  ];
  it.each(cases)('%s (%s) → %s', (event, file, type) => {
    const normalized = eventOf(event, fixture(file));
    expect(normalized.type).toBe(type);
    expect(normalized.forge).toBe('gitea');
    expect(normalized.deliveryId).toBe('gitea-abc-1');
    expect('repo' in normalized && normalized.repo).toEqual({ owner: 'alice', name: 'widgets' });
  });

  it('keeps the current labels of a label_updated issue and leaves the added label unknown', () => {
    const event = eventOf('issues', fixture('issues-label_updated'));
    expect(event).toMatchObject({
      type: 'issue.labeled',
      label: null,
      issue: { labels: ['tandem'] },
    });
  });

  it('marks only the changed fields of an edit', () => {
    const event = eventOf('issues', fixture('issues-edited'));
    expect(event.type === 'issue.edited' && event.changed).toEqual({ title: false, body: true });
  });

  it('parses commands from a pull-request comment and flags the pull request', () => {
    const event = eventOf('issue_comment', fixture('issue_comment-created-pull'));
    expect(event).toMatchObject({
      type: 'comment.created',
      issue: { number: 6, isPullRequest: true },
      comment: { author: 'alice', commands: [{ name: 'reject', args: 'missing edge cases' }] },
    });
  });

  it('maps the three review events to review states', () => {
    const states = ['pull_request_approved', 'pull_request_rejected', 'pull_request_comment'].map(
      (e) => {
        const event = eventOf(e, fixture(e));
        return event.type === 'review.submitted' ? event.review.state : null;
      },
    );
    expect(states).toEqual(['approved', 'changes_requested', 'commented']);
  });

  it('reports a merged pull request and the head sha of a synchronized one', () => {
    const merged = eventOf('pull_request', fixture('pull_request-closed-merged'));
    expect(merged.type === 'pull_request.closed' && merged.pullRequest.merged).toBe(true);
    const sync = eventOf('pull_request', fixture('pull_request-synchronized'));
    expect(sync.type === 'pull_request.synchronized' && sync.pullRequest.headSha).toMatch(
      /^4b6f1c2d/,
    );
  });

  it('counts pushed commits', () => {
    const event = eventOf('push', fixture('push'));
    expect(event).toMatchObject({ type: 'push', ref: 'refs/heads/main', commitCount: 1 });
  });

  it('drops events sent by the bot account', () => {
    expect(normalize('pull_request', fixture('pull_request-opened'))).toEqual({
      kind: 'ignored',
      reason: 'own_bot',
    });
  });

  it('ignores unsupported events and actions', () => {
    expect(normalize('fork', {})).toEqual({ kind: 'ignored', reason: 'unsupported' });
    const assigned = { ...fixture('issues-opened'), action: 'assigned' };
    expect(normalize('issues', assigned)).toEqual({ kind: 'ignored', reason: 'unsupported' });
  });

  it('rejects a payload without the fields its event promises', () => {
    const { issue: _issue, ...payload } = fixture('issues-opened');
    expect(() => normalize('issues', payload)).toThrow(WebhookPayloadError);
  });
});

/* eslint-disable @typescript-eslint/no-explicit-any -- webhook payloads are free-form JSON here */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { WebhookPayloadError } from '../../errors/webhook-payload-error.js';
import { ForgeEvent } from '../forge-event.js';
import { normalizeGithubEvent } from './normalize-github-event.js';

interface Definition {
  name: string;
  examples: Record<string, any>[];
}
const definitions = createRequire(import.meta.url)('@octokit/webhooks-examples') as Definition[];

/** Real payloads from @octokit/webhooks-examples (api.github.com). */
function examples(name: string, action?: string): Record<string, any>[] {
  const def = definitions.find((d) => d.name === name);
  const all = def?.examples ?? [];
  const found = action === undefined ? all : all.filter((e) => e.action === action);
  if (found.length === 0) {
    throw new Error(`no example for ${name}.${action}`);
  }
  return found;
}

const options = { botLogins: ['tandem-bot[bot]'] };
const normalize = (event: string, payload: unknown) =>
  normalizeGithubEvent({ event, deliveryId: 'd-1', payload }, options);

function eventOf(event: string, payload: unknown): ForgeEvent {
  const result = normalize(event, payload);
  if (result.kind !== 'event') {
    throw new Error(`ignored: ${result.reason}`);
  }
  return ForgeEvent.parse(result.event);
}

describe('normalizeGithubEvent with @octokit/webhooks-examples', () => {
  const cases: [string, string | undefined, ForgeEvent['type']][] = [
    ['issues', 'opened', 'issue.opened'],
    ['issues', 'labeled', 'issue.labeled'],
    ['issues', 'edited', 'issue.edited'],
    ['issue_comment', 'created', 'comment.created'],
    ['issue_comment', 'edited', 'comment.edited'],
    ['pull_request', 'opened', 'pull_request.opened'],
    ['pull_request', 'synchronize', 'pull_request.synchronized'],
    ['pull_request', 'closed', 'pull_request.closed'],
    ['pull_request_review', 'submitted', 'review.submitted'],
    ['push', undefined, 'push'],
    ['installation', 'created', 'installation.created'],
    ['installation', 'deleted', 'installation.deleted'],
  ];
  it.each(cases)('%s.%s → %s for every example', (name, action, type) => {
    for (const payload of examples(name, action)) {
      const event = eventOf(name, payload);
      expect(event.type).toBe(type);
      expect(event.forge).toBe('github');
      expect(event.deliveryId).toBe('github-d-1');
    }
  });

  it('maps an opened issue', () => {
    const payload = examples('issues', 'opened')[0]!;
    const event = eventOf('issues', payload);
    expect(event).toMatchObject({
      type: 'issue.opened',
      repo: { owner: payload.repository.owner.login, name: payload.repository.name },
      issue: { number: payload.issue.number, title: payload.issue.title, isPullRequest: false },
      sender: { login: payload.sender.login, bot: false },
    });
  });

  it('names the added label', () => {
    const payload = examples('issues', 'labeled')[0]!;
    const event = eventOf('issues', payload);
    expect(event.type === 'issue.labeled' && event.label).toBe(payload.label.name);
  });

  it('parses commands in a comment', () => {
    const payload = structuredClone(examples('issue_comment', 'created')[0]!);
    payload.comment.body = 'Looks good.\n/approve\n> /stop';
    const event = eventOf('issue_comment', payload);
    expect(event.type === 'comment.created' && event.comment.commands).toEqual([
      { name: 'approve', args: '' },
    ]);
  });

  it('tells a merged pull request from a closed one', () => {
    const merged = examples('pull_request', 'closed').map((p) => eventOf('pull_request', p));
    for (const [i, event] of merged.entries()) {
      const raw = examples('pull_request', 'closed')[i]!;
      expect(event.type === 'pull_request.closed' && event.pullRequest.merged).toBe(
        raw.pull_request.merged === true,
      );
    }
  });

  it('maps review states', () => {
    for (const payload of examples('pull_request_review', 'submitted')) {
      const event = eventOf('pull_request_review', payload);
      expect(event.type === 'review.submitted' && event.review.state).toBe(payload.review.state);
    }
  });

  it('carries the installation id on repository events when present', () => {
    const payload = structuredClone(examples('issues', 'opened')[0]!);
    payload.installation = { id: 42, node_id: 'x' };
    const event = eventOf('issues', payload);
    expect('repo' in event && event.repo.installationId).toBe(42);
  });

  it('ignores events from the own bot account, case-insensitively', () => {
    const payload = structuredClone(examples('issue_comment', 'created')[0]!);
    payload.sender.login = 'Tandem-Bot[bot]';
    expect(normalize('issue_comment', payload)).toEqual({ kind: 'ignored', reason: 'own_bot' });
  });

  it('ignores unsupported events and actions, and answers ping', () => {
    expect(normalize('star', {})).toEqual({ kind: 'ignored', reason: 'unsupported' });
    expect(normalize('issues', examples('issues', 'assigned')[0])).toEqual({
      kind: 'ignored',
      reason: 'unsupported',
    });
    expect(normalize('ping', {})).toEqual({ kind: 'ignored', reason: 'ping' });
  });

  it('rejects a payload without the fields its event promises', () => {
    const payload = structuredClone(examples('issues', 'opened')[0]!);
    delete payload.issue;
    expect(() => normalize('issues', payload)).toThrow(WebhookPayloadError);
    expect(() => normalize('push', 'not an object')).toThrow(WebhookPayloadError);
  });
});

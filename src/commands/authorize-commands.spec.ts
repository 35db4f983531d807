import { describe, expect, it } from 'vitest';
import type { CommentEvent } from '../forge/forge-event.js';
import type { Forge } from '../forge/types.js';
import { authorizeCommands } from './authorize-commands.js';
import { parseCommands } from './parse-commands.js';
import { createPermissionChecker } from './permission-checker.js';

function fakeForge(permission: 'read' | 'write') {
  const comments: { number: number; marker: string; body: string }[] = [];
  const forge = {
    kind: 'github',
    getPermission: () => Promise.resolve(permission),
    ensureComment: (_repo: unknown, number: number, marker: string, body: string) => {
      comments.push({ number, marker, body });
      return Promise.resolve({ id: 1, action: 'created' });
    },
  } as unknown as Forge;
  return { forge, comments };
}

function commentEvent(body: string, type: CommentEvent['type'] = 'comment.created'): CommentEvent {
  return {
    type,
    forge: 'github',
    deliveryId: 'github-1',
    sender: { login: 'bob', bot: false },
    repo: { owner: 'o', name: 'r', installationId: 1 },
    issue: {
      number: 6,
      title: 'Spec',
      body: '',
      state: 'open',
      labels: [],
      author: 'tandem[bot]',
      isPullRequest: true,
      url: 'u',
    },
    comment: { id: 88, body, author: 'bob', url: 'u', commands: parseCommands(body) },
  };
}

const run = (forge: Forge, event: CommentEvent) =>
  authorizeCommands(event, {
    forge,
    required: 'write',
    permissions: createPermissionChecker({ ttlMs: 1_000 }),
  });

describe('authorizeCommands', () => {
  it('accepts commands from a user with enough permission', async () => {
    const { forge, comments } = fakeForge('write');
    const result = await run(forge, commentEvent('/approve\n/reject too vague'));
    expect(result.refused).toEqual([]);
    expect(result.accepted.map((c) => [c.name, c.args, c.number, c.user])).toEqual([
      ['approve', '', 6, 'bob'],
      ['reject', 'too vague', 6, 'bob'],
    ]);
    expect(comments).toEqual([]);
  });

  it('refuses privileged commands of a reader with one comment, but runs /status', async () => {
    const { forge, comments } = fakeForge('read');
    const result = await run(forge, commentEvent('/approve\n/status\n/stop'));
    expect(result.accepted.map((c) => c.name)).toEqual(['status']);
    expect(result.refused.map((c) => c.name)).toEqual(['approve', 'stop']);
    expect(comments).toHaveLength(1);
    expect(comments[0]).toMatchObject({ number: 6, marker: 'refusal-88' });
    expect(comments[0]!.body).toContain('`/approve`, `/stop`');
    expect(comments[0]!.body).toContain('**write**');
  });

  it('runs nothing for an edited comment', async () => {
    const { forge, comments } = fakeForge('write');
    const result = await run(forge, commentEvent('/approve', 'comment.edited'));
    expect(result).toEqual({ accepted: [], refused: [] });
    expect(comments).toEqual([]);
  });
});

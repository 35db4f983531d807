import { describe, expect, it } from 'vitest';
import { commentMarker, withMarker } from './comment-marker.js';
import { ensureMarkedComment, type MarkedCommentThread } from './ensure-marked-comment.js';

/** An in-memory comment thread that records the writes made to it. */
function thread(initial: { id: number; body?: string | null }[]) {
  const comments = initial.map((c) => ({ ...c }));
  const writes: string[] = [];
  let next = 100;
  const api: MarkedCommentThread = {
    list: () => Promise.resolve(comments.map((c) => ({ ...c }))),
    update: (id, body) => {
      writes.push(`update ${id}`);
      const c = comments.find((x) => x.id === id);
      if (c) {
        c.body = body;
      }
      return Promise.resolve();
    },
    create: (body) => {
      writes.push('create');
      const id = next++;
      comments.push({ id, body });
      return Promise.resolve({ id });
    },
  };
  return { api, comments, writes };
}

describe('ensureMarkedComment', () => {
  it('creates the comment once, updates it when the text changes, then leaves it alone', async () => {
    const t = thread([
      { id: 1, body: 'a human comment' },
      { id: 2, body: null },
    ]);

    expect(await ensureMarkedComment(t.api, 'status', 'first')).toEqual({
      id: 100,
      action: 'created',
    });
    expect(await ensureMarkedComment(t.api, 'status', 'second')).toEqual({
      id: 100,
      action: 'updated',
    });
    expect(await ensureMarkedComment(t.api, 'status', 'second')).toEqual({
      id: 100,
      action: 'unchanged',
    });

    expect(t.writes).toEqual(['create', 'update 100']);
    expect(t.comments.find((c) => c.id === 100)?.body).toBe(withMarker('status', 'second'));
    expect(t.comments.find((c) => c.id === 1)?.body).toBe('a human comment');
  });

  it('keeps the first comment with the marker and ignores other markers', async () => {
    const t = thread([
      { id: 5, body: withMarker('other', 'x') },
      { id: 6, body: `${commentMarker('status')}\nold` },
      { id: 7, body: withMarker('status', 'older duplicate') },
    ]);

    expect(await ensureMarkedComment(t.api, 'status', 'new')).toEqual({
      id: 6,
      action: 'updated',
    });
    expect(t.writes).toEqual(['update 6']);
  });

  it('writes nothing when listing fails', async () => {
    const t = thread([]);
    const failing: MarkedCommentThread = {
      ...t.api,
      list: () => Promise.reject(new Error('list failed')),
    };

    await expect(ensureMarkedComment(failing, 'status', 'x')).rejects.toThrow('list failed');
    expect(t.writes).toEqual([]);
  });
});

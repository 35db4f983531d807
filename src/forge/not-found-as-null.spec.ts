import { describe, expect, it } from 'vitest';
import { ForgeRequestError } from '../errors/forge-request-error.js';
import { notFoundAsNull } from './not-found-as-null.js';

describe('notFoundAsNull', () => {
  it('turns a 404 ForgeRequestError into null and passes values through', async () => {
    const notFound = new ForgeRequestError('gitea', 'GET', '/repos/{owner}/{repo}', 404, 'missing');
    await expect(notFoundAsNull(Promise.reject(notFound))).resolves.toBeNull();
    await expect(notFoundAsNull(Promise.resolve(7))).resolves.toBe(7);
  });

  it('rethrows other statuses and other errors unchanged', async () => {
    const denied = new ForgeRequestError('github', 'GET', '/repos/{owner}/{repo}', 403, 'denied');
    await expect(notFoundAsNull(Promise.reject(denied))).rejects.toBe(denied);
    const other = Object.assign(new Error('not a forge error'), { status: 404 });
    await expect(notFoundAsNull(Promise.reject(other))).rejects.toBe(other);
  });
});

import { describe, expect, it } from 'vitest';
import type { Permission } from '../config/repo-policy.js';
import type { Forge } from '../forge/types.js';
import { createPermissionChecker, permissionAtLeast } from './permission-checker.js';

/** A forge whose only working method is getPermission; counts lookups. */
function fakeForge(levels: Record<string, Permission | 'none'>) {
  const calls: string[] = [];
  const forge = {
    kind: 'github',
    getPermission: (_repo: unknown, login: string) => {
      calls.push(login);
      return Promise.resolve(levels[login] ?? 'none');
    },
  } as unknown as Forge;
  return { forge, calls };
}

const repo = { owner: 'o', name: 'r', installationId: 1 };

describe('permissionAtLeast', () => {
  it('orders read < triage < write < maintain < admin, with none below all', () => {
    expect(permissionAtLeast('write', 'write')).toBe(true);
    expect(permissionAtLeast('admin', 'maintain')).toBe(true);
    expect(permissionAtLeast('triage', 'write')).toBe(false);
    expect(permissionAtLeast('none', 'read')).toBe(false);
  });
});

describe('createPermissionChecker', () => {
  it('caches a lookup for the TTL, per user and repository (case-insensitive)', async () => {
    let t = 1_000;
    const { forge, calls } = fakeForge({ alice: 'admin', bob: 'read' });
    const checker = createPermissionChecker({ ttlMs: 60_000, now: () => t });
    expect(await checker.check(forge, repo, 'alice', 'write')).toEqual({
      allowed: true,
      permission: 'admin',
    });
    expect((await checker.check(forge, repo, 'Alice', 'admin')).allowed).toBe(true);
    expect((await checker.check(forge, repo, 'bob', 'write')).allowed).toBe(false);
    expect(calls).toEqual(['alice', 'bob']);
    t += 60_001;
    await checker.check(forge, repo, 'alice', 'write');
    expect(calls).toEqual(['alice', 'bob', 'alice']);
    await checker.check(forge, { ...repo, name: 'other' }, 'alice', 'write');
    expect(calls).toHaveLength(4);
  });

  it('does not cache a failed lookup', async () => {
    let fail = true;
    const forge = {
      kind: 'gitea',
      getPermission: () => (fail ? Promise.reject(new Error('down')) : Promise.resolve('write')),
    } as unknown as Forge;
    const checker = createPermissionChecker({ ttlMs: 60_000 });
    await expect(checker.check(forge, repo, 'alice', 'write')).rejects.toThrow('down');
    fail = false;
    await expect(checker.check(forge, repo, 'alice', 'write')).resolves.toMatchObject({
      allowed: true,
    });
  });

  it('evicts the oldest entry beyond maxEntries', async () => {
    const { forge, calls } = fakeForge({});
    const checker = createPermissionChecker({ ttlMs: 60_000, maxEntries: 2 });
    for (const user of ['a', 'b', 'c', 'a']) {
      await checker.check(forge, repo, user, 'read');
    }
    expect(calls).toEqual(['a', 'b', 'c', 'a']);
  });
});

/**
 * An in-memory `Forge` for workflow tests (the forge is the one collaborator tests may fake): issues,
 * pull requests, comments and labels live in maps, while files, branches and merges are REAL git
 * operations on a bare repository on disk, so spec shas, pushes and merges behave as on a forge.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { hasMarker, withMarker } from '../../src/forge/comment-marker.js';
import type {
  EnsuredComment,
  Forge,
  ForgeFile,
  ForgeIssue,
  ForgePullRequest,
  ForgeReviewComment,
  RepoRef,
} from '../../src/forge/types.js';
import type { Permission } from '../../src/config/repo-policy.js';

interface Comment {
  id: number;
  number: number;
  body: string;
}

/** The fake forge plus its state, for assertions. */
export interface MemoryForge extends Forge {
  issues: Map<number, ForgeIssue>;
  pulls: Map<number, ForgePullRequest>;
  comments: Comment[];
  statuses: { sha: string; state: string; context: string }[];
  permissions: Map<string, Permission>;
  /** Line comments per pull request, returned by `listReviewComments`. */
  reviewComments: Map<number, ForgeReviewComment[]>;
  calls: string[];
  /**
   * One-shot faults: `failAfter('createIssue')` makes the next `createIssue` create the issue and then
   * throw, as when the job dies (or the response is lost) after the forge acted.
   */
  failAfter(operation: 'createIssue'): void;
}

async function git(bare: string, args: string[]): Promise<string> {
  return (await execa('git', ['--git-dir', bare, ...args])).stdout;
}

/** A forge over the bare repository `bare` whose default branch is `main`. */
export function createMemoryForge(bare: string): MemoryForge {
  let next = 1;
  /** The next free issue/PR number: tests also put issues in directly (`issues.set(1, …)`). */
  const nextNumber = (): number => {
    while (issues.has(next) || pulls.has(next)) {
      next++;
    }
    return next++;
  };
  let commentId = 1000;
  const issues = new Map<number, ForgeIssue>();
  const pulls = new Map<number, ForgePullRequest>();
  const comments: Comment[] = [];
  const statuses: MemoryForge['statuses'] = [];
  const permissions = new Map<string, Permission>();
  const calls: string[] = [];
  const reviewComments = new Map<number, ForgeReviewComment[]>();
  const faults = new Set<string>();
  const sha = async (ref: string): Promise<string> => git(bare, ['rev-parse', ref]);
  const issue = (n: number): ForgeIssue => {
    const i = issues.get(n) ?? pulls.get(n);
    if (!i) {
      throw new Error(`no issue ${n}`);
    }
    return 'labels' in i ? i : { ...i, labels: [], author: 'tandem' };
  };
  const forge: MemoryForge = {
    kind: 'github',
    issues,
    pulls,
    comments,
    statuses,
    permissions,
    reviewComments,
    calls,
    failAfter: (operation) => {
      faults.add(operation);
    },
    cloneUrl: () => bare,
    getDefaultBranch: () => Promise.resolve('main'),
    async getFile(_repo: RepoRef, path: string, ref = 'main'): Promise<ForgeFile | null> {
      try {
        const blob = await git(bare, ['rev-parse', `${ref}:${path}`]);
        const content = (await execa('git', ['--git-dir', bare, 'cat-file', 'blob', blob])).stdout;
        return { path, content, sha: blob };
      } catch {
        return null;
      }
    },
    getIssue: (_r, n) => Promise.resolve(issue(n)),
    createIssue(_r, i) {
      const n = nextNumber();
      const created: ForgeIssue = {
        number: n,
        title: i.title,
        body: i.body,
        state: 'open',
        labels: [...(i.labels ?? [])],
        author: 'tandem[bot]',
        url: `https://forge.test/issues/${n}`,
      };
      issues.set(n, created);
      calls.push(`createIssue ${i.title}`);
      if (faults.delete('createIssue')) {
        return Promise.reject(new Error('connection reset after createIssue'));
      }
      return Promise.resolve(created);
    },
    findIssueByMarker(_r, label, marker) {
      calls.push(`findIssueByMarker ${marker}`);
      const found = [...issues.values()]
        .filter((i) => i.labels.includes(label) && hasMarker(marker, i.body))
        .sort((a, b) => a.number - b.number);
      return Promise.resolve(found[0] ?? null);
    },
    updateIssue(_r, n, u) {
      const i = issue(n);
      Object.assign(i, u);
      return Promise.resolve(i);
    },
    closeIssue(_r, n) {
      issue(n).state = 'closed';
      calls.push(`closeIssue ${n}`);
      return Promise.resolve();
    },
    ensureComment(_r, n, marker, body): Promise<EnsuredComment> {
      const text = withMarker(marker, body);
      const found = comments.find((c) => c.number === n && hasMarker(marker, c.body));
      if (found) {
        const action = found.body === text ? 'unchanged' : 'updated';
        found.body = text;
        return Promise.resolve({ id: found.id, action });
      }
      const c = { id: commentId++, number: n, body: text };
      comments.push(c);
      return Promise.resolve({ id: c.id, action: 'created' });
    },
    ensureLabels: () => Promise.resolve(),
    addLabels(_r, n, names) {
      const i = issues.get(n);
      if (i) {
        i.labels.push(...names.filter((x) => !i.labels.includes(x)));
      }
      return Promise.resolve();
    },
    removeLabel(_r, n, name) {
      const i = issues.get(n);
      if (i) {
        i.labels = i.labels.filter((l) => l !== name);
      }
      return Promise.resolve();
    },
    async findOrCreatePullRequest(_r, spec) {
      const open = [...pulls.values()].find((p) => p.headRef === spec.head && p.state === 'open');
      if (open) {
        open.headSha = await sha(spec.head);
        return { pullRequest: open, created: false };
      }
      const n = nextNumber();
      const pr: ForgePullRequest = {
        number: n,
        title: spec.title,
        body: spec.body,
        state: 'open',
        merged: false,
        draft: false,
        headRef: spec.head,
        headSha: await sha(spec.head),
        baseRef: spec.base,
        url: `https://forge.test/pulls/${n}`,
      };
      pulls.set(n, pr);
      calls.push(`createPull ${spec.head}`);
      return { pullRequest: pr, created: true };
    },
    async getPullRequest(_r, n) {
      const pr = pulls.get(n);
      if (!pr) {
        throw new Error(`no PR ${n}`);
      }
      if (pr.state === 'open') {
        pr.headSha = await sha(pr.headRef);
      }
      return pr;
    },
    updatePullRequest(_r, n, u) {
      const pr = pulls.get(n)!;
      Object.assign(pr, u);
      return Promise.resolve(pr);
    },
    async mergePullRequest(_r, n) {
      const pr = pulls.get(n)!;
      await mergeInBare(bare, pr.headRef, pr.baseRef);
      pr.state = 'closed';
      pr.merged = true;
      calls.push(`merge ${n}`);
    },
    listReviewComments: (_r, n): Promise<ForgeReviewComment[]> =>
      Promise.resolve(reviewComments.get(n) ?? []),
    getPermission(_r, login) {
      calls.push(`getPermission ${login}`);
      return Promise.resolve(permissions.get(login) ?? 'none');
    },
    setCommitStatus(_r, s, status) {
      statuses.push({ sha: s, state: status.state, context: status.context });
      return Promise.resolve();
    },
    pushCredentials: () => Promise.resolve({ username: 'x-access-token', password: 'secret' }),
  };
  return forge;
}

/** Merges `head` into `base` of a bare repository with a merge commit (as a forge's merge button). */
export async function mergeInBare(bare: string, head: string, base: string): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-merge-'));
  try {
    await execa('git', ['clone', '-q', '--branch', base, bare, dir]);
    const id = ['-c', 'user.name=Maintainer', '-c', 'user.email=m@example.com'];
    await execa('git', [...id, '-C', dir, 'fetch', '-q', 'origin', head]);
    await execa('git', [
      ...id,
      '-C',
      dir,
      'merge',
      '-q',
      '--no-ff',
      '-m',
      `Merge ${head}`,
      'FETCH_HEAD',
    ]);
    await execa('git', ['-C', dir, 'push', '-q', 'origin', base]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Creates a bare repository whose `main` holds `files`. Returns its path. */
export async function createBareRepo(root: string, files: Record<string, string>): Promise<string> {
  const bare = join(root, 'remote.git');
  const work = join(root, 'seed');
  await execa('git', ['init', '-q', '--bare', '--initial-branch=main', bare]);
  await execa('git', ['init', '-q', '--initial-branch=main', work]);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(work, path)), { recursive: true });
    await writeFile(join(work, path), content);
  }
  const id = ['-c', 'user.name=Maintainer', '-c', 'user.email=m@example.com'];
  await execa('git', ['-C', work, 'add', '-A']);
  await execa('git', [...id, '-C', work, 'commit', '-q', '-m', 'initial']);
  await execa('git', ['-C', work, 'push', '-q', bare, 'main']);
  return bare;
}

/** Commits `files` on `branch` of the bare repository as a person would (e.g. editing a spec). */
export async function pushAsPerson(
  bare: string,
  branch: string,
  files: Record<string, string>,
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-person-'));
  try {
    await execa('git', ['clone', '-q', '--branch', branch, bare, dir]);
    for (const [path, content] of Object.entries(files)) {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await writeFile(join(dir, path), content);
    }
    const id = ['-c', 'user.name=Person', '-c', 'user.email=p@example.com'];
    await execa('git', ['-C', dir, 'add', '-A']);
    await execa('git', [...id, '-C', dir, 'commit', '-q', '-m', 'edit']);
    await execa('git', ['-C', dir, 'push', '-q', 'origin', branch]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

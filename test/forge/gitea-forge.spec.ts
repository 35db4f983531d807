import { describe, expect, it } from 'vitest';
import { ForgeRequestError } from '../../src/errors/forge-request-error.js';
import { commentMarker } from '../../src/forge/comment-marker.js';
import { createGiteaForge } from '../../src/forge/gitea/gitea-forge.js';
import { useHttpMock } from '../http-mock.js';

const http = useHttpMock();
const GITEA = 'https://gitea.test';
const TOKEN = 'gitea-token-0123456789abcdef';
const repo = { owner: 'alice', name: 'widgets' };
const R = '/api/v1/repos/alice/widgets';

function setup(botLogin?: string) {
  const forge = createGiteaForge({
    baseUrl: GITEA,
    token: TOKEN,
    ...(botLogin ? { botLogin } : {}),
  });
  const api = http.scope(GITEA).matchHeader('authorization', `token ${TOKEN}`);
  return { forge, api };
}

const issue = (n: number, extra: object = {}) => ({
  id: 100 + n,
  number: n,
  title: 'Ticket',
  body: 'AC',
  state: 'open',
  labels: [],
  user: { id: 3, login: 'tandem-bot' },
  html_url: `${GITEA}/alice/widgets/issues/${n}`,
  ...extra,
});
const pull = (n: number, head: string, extra: object = {}) => ({
  number: n,
  title: 'Spec',
  body: '',
  state: 'open',
  merged: false,
  html_url: `${GITEA}/alice/widgets/pulls/${n}`,
  head: { ref: head, sha: 'a'.repeat(40) },
  base: { ref: 'main' },
  ...extra,
});

describe('Gitea forge', () => {
  it('reads a file at a ref and returns null for a missing one', async () => {
    const { forge, api } = setup();
    api
      .get(`${R}/contents/.gitea/tandem.yml`)
      .query({ ref: 'main' })
      .reply(200, {
        type: 'file',
        path: '.gitea/tandem.yml',
        sha: 'b'.repeat(40),
        encoding: 'base64',
        content: Buffer.from('priority: 2\n').toString('base64'),
      });
    api.get(`${R}/contents/nope.yml`).reply(404, { message: 'GetContentsOrList' });
    await expect(forge.getFile(repo, '.gitea/tandem.yml', 'main')).resolves.toEqual({
      path: '.gitea/tandem.yml',
      sha: 'b'.repeat(40),
      content: 'priority: 2\n',
    });
    await expect(forge.getFile(repo, 'nope.yml')).resolves.toBeNull();
  });

  it('resolves label names to ids, creating missing labels with colours', async () => {
    const { forge, api } = setup();
    api
      .get(`${R}/labels`)
      .query({ page: 1, limit: 50 })
      .reply(200, [{ id: 4, name: 'Tandem:Todo', color: 'ededed' }]);
    api
      .post(`${R}/labels`, { name: 'tandem:done', color: '#0e8a16', description: 'Done' })
      .reply(201, { id: 5, name: 'tandem:done' });
    await forge.ensureLabels(repo, [
      { name: 'tandem:todo', color: 'ededed' },
      { name: 'tandem:done', color: '0e8a16', description: 'Done' },
    ]);

    api
      .get(`${R}/labels`)
      .query({ page: 1, limit: 50 })
      .reply(200, [{ id: 4, name: 'Tandem:Todo' }]);
    api
      .post(`${R}/labels`, { name: 'tandem:blocked', color: '#ededed', description: '' })
      .reply(201, { id: 6, name: 'tandem:blocked' });
    api.post(`${R}/issues/9/labels`, { labels: [4, 6] }).reply(200, [
      { id: 4, name: 'Tandem:Todo' },
      { id: 6, name: 'tandem:blocked' },
    ]);
    await forge.addLabels(repo, 9, ['tandem:todo', 'tandem:blocked']);
  });

  it('follows pagination of the label list', async () => {
    const { forge, api } = setup();
    const page1 = Array.from({ length: 50 }, (_, i) => ({ id: i + 1, name: `l${i}` }));
    api.get(`${R}/labels`).query({ page: 1, limit: 50 }).reply(200, page1);
    api
      .get(`${R}/labels`)
      .query({ page: 2, limit: 50 })
      .reply(200, [{ id: 99, name: 'tandem:review' }]);
    api.delete(`${R}/issues/9/labels/99`).reply(204);
    await forge.removeLabel(repo, 9, 'tandem:review');
  });

  it('creates an issue with label ids, updates and closes it', async () => {
    const { forge, api } = setup();
    api
      .get(`${R}/labels`)
      .query({ page: 1, limit: 50 })
      .reply(200, [{ id: 4, name: 'tandem:todo' }]);
    api
      .post(`${R}/issues`, { title: 'Ticket', body: 'AC', labels: [4] })
      .reply(201, issue(9, { labels: [{ id: 4, name: 'tandem:todo' }] }));
    api.patch(`${R}/issues/9`, { title: 'Ticket v2' }).reply(201, issue(9, { title: 'Ticket v2' }));
    api.patch(`${R}/issues/9`, { state: 'closed' }).reply(201, issue(9, { state: 'closed' }));
    await expect(
      forge.createIssue(repo, { title: 'Ticket', body: 'AC', labels: ['tandem:todo'] }),
    ).resolves.toMatchObject({ number: 9, labels: ['tandem:todo'], author: 'tandem-bot' });
    await expect(forge.updateIssue(repo, 9, { title: 'Ticket v2' })).resolves.toMatchObject({
      title: 'Ticket v2',
    });
    await forge.closeIssue(repo, 9);
  });

  it('ensureComment creates, then updates the one marked comment', async () => {
    const { forge, api } = setup();
    const marker = commentMarker('refusal:88');
    api.get(`${R}/issues/5/comments`).reply(200, [{ id: 1, body: 'hi' }]);
    api
      .post(`${R}/issues/5/comments`, { body: `${marker}\nSorry` })
      .reply(201, { id: 2, body: `${marker}\nSorry` });
    api.get(`${R}/issues/5/comments`).reply(200, [
      { id: 1, body: 'hi' },
      { id: 2, body: `${marker}\nSorry` },
    ]);
    api
      .patch(`${R}/issues/comments/2`, { body: `${marker}\nSorry again` })
      .reply(200, { id: 2, body: `${marker}\nSorry again` });
    await expect(forge.ensureComment(repo, 5, 'refusal:88', 'Sorry')).resolves.toEqual({
      id: 2,
      action: 'created',
    });
    await expect(forge.ensureComment(repo, 5, 'refusal:88', 'Sorry again')).resolves.toEqual({
      id: 2,
      action: 'updated',
    });
  });

  it('finds an open pull request by head branch, or creates a WIP one for a draft', async () => {
    const { forge, api } = setup();
    api
      .get(`${R}/pulls`)
      .query({ state: 'open', page: 1, limit: 50 })
      .times(2)
      .reply(200, [pull(6, 'tandem/spec-5')]);
    api
      .post(`${R}/pulls`, { head: 'tandem/7-x', base: 'main', title: 'WIP: Ticket 7', body: 'b' })
      .reply(201, pull(8, 'tandem/7-x', { title: 'WIP: Ticket 7' }));
    const found = await forge.findOrCreatePullRequest(repo, {
      head: 'tandem/spec-5',
      base: 'main',
      title: 'Spec',
      body: 'b',
    });
    expect(found).toMatchObject({ created: false, pullRequest: { number: 6 } });
    const made = await forge.findOrCreatePullRequest(repo, {
      head: 'tandem/7-x',
      base: 'main',
      title: 'Ticket 7',
      body: 'b',
      draft: true,
    });
    expect(made).toMatchObject({ created: true, pullRequest: { number: 8, draft: true } });
  });

  it('merges with a merge commit guarded by the head sha, and lists review comments', async () => {
    const { forge, api } = setup();
    api.post(`${R}/pulls/6/merge`, { Do: 'merge', head_commit_id: 'a'.repeat(40) }).reply(200);
    api
      .get(`${R}/pulls/6/reviews`)
      .query({ page: 1, limit: 50 })
      .reply(200, [{ id: 11 }]);
    api
      .get(`${R}/pulls/6/reviews/11/comments`)
      .reply(200, [{ id: 31, body: 'nit', user: { login: 'alice' }, path: 'a.ts', position: 3 }]);
    await forge.mergePullRequest(repo, 6, { sha: 'a'.repeat(40) });
    await expect(forge.listReviewComments(repo, 6)).resolves.toEqual([
      { id: 31, body: 'nit', author: 'alice', path: 'a.ts', line: 3, reviewId: 11 },
    ]);
  });

  it('maps collaborator permissions (owner counts as admin, 404 as none)', async () => {
    const { forge, api } = setup();
    api.get(`${R}/collaborators/alice/permission`).reply(200, { permission: 'owner' });
    api.get(`${R}/collaborators/bob/permission`).reply(200, { permission: 'read' });
    api.get(`${R}/collaborators/eve/permission`).reply(404, { message: 'not a collaborator' });
    await expect(forge.getPermission(repo, 'alice')).resolves.toBe('admin');
    await expect(forge.getPermission(repo, 'bob')).resolves.toBe('read');
    await expect(forge.getPermission(repo, 'eve')).resolves.toBe('none');
  });

  it('sets a commit status', async () => {
    const { forge, api } = setup();
    api
      .post(`${R}/statuses/${'c'.repeat(40)}`, {
        state: 'success',
        context: 'tandem/pair',
        description: 'green',
        target_url: 'https://tandem.test/t/1',
      })
      .reply(201, {});
    await forge.setCommitStatus(repo, 'c'.repeat(40), {
      state: 'success',
      context: 'tandem/pair',
      description: 'green',
      targetUrl: 'https://tandem.test/t/1',
    });
  });

  it('gives push credentials as bot login + token, looking the login up once', async () => {
    const { forge, api } = setup();
    api.get('/api/v1/user').once().reply(200, { id: 3, login: 'tandem-bot' });
    const expected = { username: 'tandem-bot', password: TOKEN };
    await expect(forge.pushCredentials(repo)).resolves.toEqual(expected);
    await expect(forge.pushCredentials(repo)).resolves.toEqual(expected);
    expect(forge.cloneUrl(repo)).toBe(`${GITEA}/alice/widgets.git`);
  });

  it('reports failures as ForgeRequestError with the route and without the token', async () => {
    const { forge, api } = setup('tandem-bot');
    api.get(`${R}/issues/1`).reply(403, `token ${TOKEN} is not allowed`);
    const error = await forge.getIssue(repo, 1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ForgeRequestError);
    expect(error).toMatchObject({ status: 403, path: '/repos/{owner}/{repo}/issues/{index}' });
    expect((error as Error).message).not.toContain(TOKEN);
  });
});

describe('readRepoPolicy through the Gitea forge', () => {
  it('takes the first policy file that exists, and reports an invalid one with its path', async () => {
    const { readRepoPolicy } = await import('../../src/forge/read-repo-policy.js');
    const { ConfigError } = await import('../../src/errors/config-error.js');
    const { forge, api } = setup();
    const file = (path: string, text: string) => ({
      type: 'file',
      path,
      sha: 'e'.repeat(40),
      encoding: 'base64',
      content: Buffer.from(text).toString('base64'),
    });
    api.get(`${R}/contents/.github/tandem.yml`).query({ ref: 'main' }).reply(404, {});
    api
      .get(`${R}/contents/.gitea/tandem.yml`)
      .query({ ref: 'main' })
      .reply(200, file('.gitea/tandem.yml', 'triggerLabel: ai\n'));
    const loaded = await readRepoPolicy(forge, repo, 'main');
    expect(loaded.path).toBe('.gitea/tandem.yml');
    expect(loaded.policy.triggerLabel).toBe('ai');

    api.get(`${R}/contents/.github/tandem.yml`).reply(200, file('.github/tandem.yml', 'prio: 1\n'));
    const error = await readRepoPolicy(forge, repo).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as InstanceType<typeof ConfigError>).source).toBe('.github/tandem.yml');
  });
});

describe('Gitea forge: findIssueByMarker', () => {
  it('finds the oldest issue with the label and marker, or null', async () => {
    const { forge, api } = setup();
    const body = '<!-- tandem:ticket-12-1 -->\nAC';
    api
      .get(`${R}/issues`)
      .query({ labels: 'tandem:ticket', state: 'all', type: 'issues', page: 1, limit: 50 })
      .times(2)
      .reply(200, [issue(30, { body }), issue(25, { body }), issue(22, { body: 'x' })]);
    await expect(
      forge.findIssueByMarker(repo, 'tandem:ticket', 'ticket-12-1'),
    ).resolves.toMatchObject({
      number: 25,
    });
    await expect(forge.findIssueByMarker(repo, 'tandem:ticket', 'ticket-99-1')).resolves.toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import { ForgeRequestError } from '../../src/errors/forge-request-error.js';
import { commentMarker } from '../../src/forge/comment-marker.js';
import { createGithubForge } from '../../src/forge/github/github-forge.js';
import { useHttpMock } from '../http-mock.js';
import { createTestProbot, INSTALLATION_TOKEN } from './test-probot.js';

const http = useHttpMock();
const repo = { owner: 'octo', name: 'widgets', installationId: 77 };
const R = '/repos/octo/widgets';

function setup() {
  const probot = createTestProbot();
  const forge = createGithubForge({ auth: (id) => probot.auth(id) });
  const gh = http.github();
  gh.post('/app/installations/77/access_tokens').reply(201, {
    token: INSTALLATION_TOKEN,
    expires_at: new Date(Date.now() + 3_600_000).toISOString(),
    permissions: {},
    repository_selection: 'all',
  });
  return { forge, gh };
}

const issue = (n: number, extra: object = {}) => ({
  number: n,
  title: 'Add a CSV export',
  body: null,
  state: 'open',
  labels: [{ name: 'tandem' }],
  user: { login: 'alice' },
  html_url: `https://github.com/octo/widgets/issues/${n}`,
  ...extra,
});
const pull = (n: number, extra: object = {}) => ({
  number: n,
  title: 'Spec',
  body: 'Closes #5',
  state: 'open',
  merged: false,
  draft: false,
  html_url: `https://github.com/octo/widgets/pull/${n}`,
  head: { ref: 'tandem/spec-5', sha: 'a'.repeat(40) },
  base: { ref: 'main' },
  ...extra,
});

describe('GitHub forge', () => {
  it('authenticates as the installation and reads a file at a ref', async () => {
    const { forge, gh } = setup();
    gh.get(`${R}/contents/.github%2Ftandem.yml`)
      .query({ ref: 'main' })
      .matchHeader('authorization', `token ${INSTALLATION_TOKEN}`)
      .reply(200, {
        type: 'file',
        path: '.github/tandem.yml',
        sha: 'b'.repeat(40),
        encoding: 'base64',
        content: Buffer.from('triggerLabel: ai\n').toString('base64'),
      });
    gh.get(`${R}/contents/missing.txt`).reply(404, { message: 'Not Found' });
    await expect(forge.getFile(repo, '.github/tandem.yml', 'main')).resolves.toEqual({
      path: '.github/tandem.yml',
      sha: 'b'.repeat(40),
      content: 'triggerLabel: ai\n',
    });
    await expect(forge.getFile(repo, 'missing.txt')).resolves.toBeNull();
  });

  it('ensureComment creates once, then updates the marked comment, then leaves it alone', async () => {
    const { forge, gh } = setup();
    const marker = commentMarker('status');
    gh.get(`${R}/issues/5/comments`)
      .query({ per_page: 100 })
      .reply(200, [{ id: 1, body: 'unrelated' }]);
    gh.post(`${R}/issues/5/comments`, (b) => b.body === `${marker}\nworking`).reply(201, {
      id: 2,
      body: `${marker}\nworking`,
    });
    await expect(forge.ensureComment(repo, 5, 'status', 'working')).resolves.toEqual({
      id: 2,
      action: 'created',
    });

    gh.get(`${R}/issues/5/comments`)
      .query({ per_page: 100 })
      .reply(200, [
        { id: 1, body: 'unrelated' },
        { id: 2, body: `${marker}\nworking` },
      ]);
    gh.patch(`${R}/issues/comments/2`, { body: `${marker}\ndone` }).reply(200, { id: 2 });
    await expect(forge.ensureComment(repo, 5, 'status', 'done')).resolves.toEqual({
      id: 2,
      action: 'updated',
    });

    gh.get(`${R}/issues/5/comments`)
      .query({ per_page: 100 })
      .reply(200, [{ id: 2, body: `${marker}\ndone` }]);
    await expect(forge.ensureComment(repo, 5, 'status', 'done')).resolves.toEqual({
      id: 2,
      action: 'unchanged',
    });
  });

  it('creates only the missing labels, with their colours', async () => {
    const { forge, gh } = setup();
    gh.get(`${R}/labels`)
      .query({ per_page: 100 })
      .reply(200, [{ name: 'Tandem:Todo' }]);
    gh.post(`${R}/labels`, { name: 'tandem:done', color: '0e8a16', description: 'Done' }).reply(
      201,
      { name: 'tandem:done' },
    );
    await forge.ensureLabels(repo, [
      { name: 'tandem:todo', color: 'ededed' },
      { name: 'tandem:done', color: '#0e8a16', description: 'Done' },
    ]);
  });

  it('adds and removes labels; removing an absent label is not an error', async () => {
    const { forge, gh } = setup();
    gh.post(`${R}/issues/5/labels`, { labels: ['tandem:todo'] }).reply(200, [
      { name: 'tandem:todo' },
    ]);
    gh.delete(`${R}/issues/5/labels/tandem%3Areview`).reply(404, {
      message: 'Label does not exist',
    });
    await forge.addLabels(repo, 5, ['tandem:todo']);
    await forge.removeLabel(repo, 5, 'tandem:review');
  });

  it('creates, updates and closes issues', async () => {
    const { forge, gh } = setup();
    gh.post(`${R}/issues`, { title: 'Ticket', body: 'AC', labels: ['tandem:todo'] }).reply(
      201,
      issue(9, { title: 'Ticket', body: 'AC' }),
    );
    gh.patch(`${R}/issues/9`, { body: 'AC v2' }).reply(200, issue(9, { body: 'AC v2' }));
    gh.patch(`${R}/issues/9`, { state: 'closed' }).reply(200, issue(9, { state: 'closed' }));
    const created = await forge.createIssue(repo, {
      title: 'Ticket',
      body: 'AC',
      labels: ['tandem:todo'],
    });
    expect(created).toMatchObject({ number: 9, labels: ['tandem'], author: 'alice' });
    await expect(forge.updateIssue(repo, 9, { body: 'AC v2' })).resolves.toMatchObject({
      body: 'AC v2',
    });
    await forge.closeIssue(repo, 9);
  });

  it('finds an open pull request by head branch before creating one', async () => {
    const { forge, gh } = setup();
    gh.get(`${R}/pulls`)
      .query({ state: 'open', head: 'octo:tandem/spec-5', base: 'main' })
      .reply(200, [pull(6)]);
    gh.get(`${R}/pulls`)
      .query({ state: 'open', head: 'octo:tandem/spec-7', base: 'main' })
      .reply(200, []);
    gh.post(`${R}/pulls`, {
      head: 'tandem/spec-7',
      base: 'main',
      title: 'Spec 7',
      body: 'b',
      draft: true,
    }).reply(201, pull(8, { head: { ref: 'tandem/spec-7', sha: 'c'.repeat(40) }, draft: true }));
    const spec = { base: 'main', title: 'Spec', body: 'b' };
    const found = await forge.findOrCreatePullRequest(repo, { ...spec, head: 'tandem/spec-5' });
    expect(found).toMatchObject({
      created: false,
      pullRequest: { number: 6, headRef: 'tandem/spec-5' },
    });
    const made = await forge.findOrCreatePullRequest(repo, {
      ...spec,
      title: 'Spec 7',
      head: 'tandem/spec-7',
      draft: true,
    });
    expect(made).toMatchObject({ created: true, pullRequest: { number: 8, draft: true } });
  });

  it('updates, merges and lists review comments of a pull request', async () => {
    const { forge, gh } = setup();
    gh.patch(`${R}/pulls/6`, { title: 'Spec v2' }).reply(200, pull(6, { title: 'Spec v2' }));
    gh.put(`${R}/pulls/6/merge`, { merge_method: 'merge', sha: 'a'.repeat(40) }).reply(200, {
      merged: true,
      sha: 'd'.repeat(40),
      message: 'merged',
    });
    gh.get(`${R}/pulls/6/comments`)
      .query({ per_page: 100 })
      .reply(200, [
        {
          id: 3,
          body: 'rename this',
          user: { login: 'alice' },
          path: 'src/a.ts',
          line: 4,
          pull_request_review_id: 10,
        },
      ]);
    await expect(forge.updatePullRequest(repo, 6, { title: 'Spec v2' })).resolves.toMatchObject({
      title: 'Spec v2',
    });
    await forge.mergePullRequest(repo, 6, { sha: 'a'.repeat(40) });
    await expect(forge.listReviewComments(repo, 6)).resolves.toEqual([
      { id: 3, body: 'rename this', author: 'alice', path: 'src/a.ts', line: 4, reviewId: 10 },
    ]);
  });

  it('reads collaborator permission, preferring the fine-grained role name', async () => {
    const { forge, gh } = setup();
    gh.get(`${R}/collaborators/maint/permission`).reply(200, {
      permission: 'write',
      role_name: 'maintain',
      user: { login: 'maint' },
    });
    gh.get(`${R}/collaborators/reader/permission`).reply(200, {
      permission: 'read',
      role_name: 'read',
    });
    gh.get(`${R}/collaborators/stranger/permission`).reply(404, { message: 'Not Found' });
    await expect(forge.getPermission(repo, 'maint')).resolves.toBe('maintain');
    await expect(forge.getPermission(repo, 'reader')).resolves.toBe('read');
    await expect(forge.getPermission(repo, 'stranger')).resolves.toBe('none');
  });

  it('sets a commit status', async () => {
    const { forge, gh } = setup();
    gh.post(`${R}/statuses/${'a'.repeat(40)}`, {
      state: 'pending',
      context: 'tandem/pair',
      description: 'cycle 2: red',
    }).reply(201, { id: 1 });
    await forge.setCommitStatus(repo, 'a'.repeat(40), {
      state: 'pending',
      context: 'tandem/pair',
      description: 'cycle 2: red',
    });
  });

  it('hands out push credentials as x-access-token + installation token', async () => {
    const { forge } = setup();
    await expect(forge.pushCredentials(repo)).resolves.toEqual({
      username: 'x-access-token',
      password: INSTALLATION_TOKEN,
    });
    expect(forge.cloneUrl(repo)).toBe('https://github.com/octo/widgets.git');
  });

  it('turns an API failure into a ForgeRequestError without the token', async () => {
    const { forge, gh } = setup();
    gh.get(`${R}/issues/1`).reply(500, { message: 'boom' });
    const error = await forge.getIssue(repo, 1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ForgeRequestError);
    expect((error as ForgeRequestError).status).toBe(500);
    expect((error as ForgeRequestError).code).toBe('forge_request_failed');
    expect(String((error as Error).message)).not.toContain(INSTALLATION_TOKEN);
  });
});

describe('GitHub forge: findIssueByMarker', () => {
  it('finds the oldest issue with the label and marker, skipping pull requests', async () => {
    const { forge, gh } = setup();
    const body = '<!-- tandem:ticket-12-1 -->\nAC';
    gh.get(`${R}/issues`)
      .query({ labels: 'tandem:ticket', state: 'all', per_page: 100 })
      .reply(200, [
        issue(30, { body }),
        issue(21, { body, pull_request: { url: 'x' } }),
        issue(25, { body }),
        issue(22, { body: 'other' }),
      ]);
    await expect(
      forge.findIssueByMarker(repo, 'tandem:ticket', 'ticket-12-1'),
    ).resolves.toMatchObject({
      number: 25,
    });
  });
});

/**
 * Repository-level operations on Gitea: clone URL, default branch, file contents, collaborator
 * permission (`owner` counts as `admin`), commit statuses and push credentials (bot login + token), on
 * top of {@link GiteaClient}.
 */
import { z } from 'zod';
import type { Permission } from '../../config/repo-policy.js';
import { decodeFileContent } from '../decode-file-content.js';
import { notFoundAsNull } from '../not-found-as-null.js';
import type { ForgeFile, ForgeRepositoryOperations } from '../types.js';
import {
  GiteaContentsResponse,
  GiteaPermissionResponse,
  GiteaRepoResponse,
  GiteaUserResponse,
} from './gitea-api-schemas.js';
import { seg, type GiteaClient } from './gitea-client.js';
import { repoPath } from './gitea-paths.js';

/** What {@link createGiteaRepository} needs besides the client. */
export interface GiteaRepositoryOptions {
  /** Base URL of the Gitea server (clone URLs start with it), e.g. `https://gitea.example.com`. */
  baseUrl: string;
  /** The bot's access token: the push password. */
  token: string;
  /** The bot's login (push user name); looked up once with `GET /user` when absent. */
  botLogin?: string;
}

const PERMISSIONS: Record<string, Permission | 'none'> = {
  owner: 'admin',
  admin: 'admin',
  maintain: 'maintain',
  write: 'write',
  triage: 'triage',
  read: 'read',
  none: 'none',
};

/**
 * The repository operations over `api`. A missing file or a directory reads as null; a user who is no
 * collaborator (404) or has an unknown level has permission `none`; status descriptions are cut to 140
 * characters. A failed bot login lookup is forgotten, so the next `pushCredentials` asks again.
 */
export function createGiteaRepository(
  api: GiteaClient,
  options: GiteaRepositoryOptions,
): ForgeRepositoryOperations {
  const base = options.baseUrl.replace(/\/+$/, '');
  let botLogin: Promise<string> | undefined = options.botLogin
    ? Promise.resolve(options.botLogin)
    : undefined;

  return {
    cloneUrl: (repo) => `${base}/${repo.owner}/${repo.name}.git`,

    async getDefaultBranch(repo) {
      const data = await api.request(
        { method: 'GET', route: '/repos/{owner}/{repo}', path: repoPath(repo) },
        GiteaRepoResponse,
      );
      return data.default_branch;
    },

    async getFile(repo, path, ref): Promise<ForgeFile | null> {
      const data = await notFoundAsNull(
        api.request(
          {
            method: 'GET',
            route: '/repos/{owner}/{repo}/contents/{filepath}',
            path: `${repoPath(repo)}/contents/${path.split('/').map(seg).join('/')}`,
            ...(ref ? { query: { ref } } : {}),
          },
          z.union([GiteaContentsResponse, z.array(z.unknown())]),
        ),
      );
      if (
        !data ||
        Array.isArray(data) ||
        data.type !== 'file' ||
        typeof data.content !== 'string'
      ) {
        return null;
      }
      return {
        path: data.path,
        sha: data.sha,
        content: decodeFileContent(data.content, data.encoding),
      };
    },

    async getPermission(repo, login) {
      const data = await notFoundAsNull(
        api.request(
          {
            method: 'GET',
            route: '/repos/{owner}/{repo}/collaborators/{collaborator}/permission',
            path: `${repoPath(repo)}/collaborators/${seg(login)}/permission`,
          },
          GiteaPermissionResponse,
        ),
      );
      return data ? (PERMISSIONS[data.permission.toLowerCase()] ?? 'none') : 'none';
    },

    async setCommitStatus(repo, sha, status) {
      await api.request(
        {
          method: 'POST',
          route: '/repos/{owner}/{repo}/statuses/{sha}',
          path: `${repoPath(repo)}/statuses/${seg(sha)}`,
          body: {
            state: status.state,
            context: status.context,
            description: status.description.slice(0, 140),
            ...(status.targetUrl ? { target_url: status.targetUrl } : {}),
          },
        },
        z.unknown(),
      );
    },

    async pushCredentials() {
      botLogin ??= api
        .request({ method: 'GET', route: '/user', path: '/user' }, GiteaUserResponse)
        .then((u) => u.login);
      const login = await botLogin.catch((error: unknown) => {
        botLogin = undefined;
        throw error;
      });
      return { username: login, password: options.token };
    },
  };
}

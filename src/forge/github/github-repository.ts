/**
 * Repository-level operations on GitHub: clone URL, default branch, file contents, collaborator
 * permission, commit statuses and push credentials (an installation token narrowed to the repository
 * and `contents: write`), on top of {@link GithubApi}.
 */
import { z } from 'zod';
import { Permission } from '../../config/repo-policy.js';
import { decodeFileContent } from '../decode-file-content.js';
import { notFoundAsNull } from '../not-found-as-null.js';
import type {
  CommitState,
  ForgeFile,
  ForgeRepositoryOperations,
  PushCredentials,
} from '../types.js';
import { PUSH_PERMISSIONS, type GithubApi } from './github-api.js';
import {
  GithubFileResponse,
  GithubPermissionResponse,
  GithubRepoResponse,
} from './github-api-schemas.js';

/**
 * The repository operations over `api`; clone URLs start with `webUrl` (no trailing slash).
 * A missing file, a directory, symlink or submodule reads as null; a user who is no collaborator has
 * permission `none`; status descriptions are cut to GitHub's 140 characters.
 */
export function createGithubRepository(
  { token, call }: GithubApi,
  webUrl: string,
): ForgeRepositoryOperations {
  return {
    cloneUrl: (repo) => `${webUrl}/${repo.owner}/${repo.name}.git`,

    async getDefaultBranch(repo) {
      const r = await call(
        repo,
        { method: 'GET', route: '/repos/{owner}/{repo}' },
        GithubRepoResponse,
        (o, r) => o.rest.repos.get(r),
      );
      return r.default_branch;
    },

    async getFile(repo, path, ref): Promise<ForgeFile | null> {
      const file = await notFoundAsNull(
        call(
          repo,
          { method: 'GET', route: '/repos/{owner}/{repo}/contents/{path}' },
          z.union([GithubFileResponse, z.array(z.unknown()), z.object({ type: z.string() })]),
          (o, r) => o.rest.repos.getContent({ ...r, path, ...(ref ? { ref } : {}) }),
        ),
      );
      if (!file || Array.isArray(file) || !('content' in file)) {
        return null; // missing, or a directory / symlink / submodule
      }
      return {
        path: file.path,
        sha: file.sha,
        content: decodeFileContent(file.content, file.encoding),
      };
    },

    async getPermission(repo, login) {
      const result = await notFoundAsNull(
        call(
          repo,
          { method: 'GET', route: '/repos/{owner}/{repo}/collaborators/{username}/permission' },
          GithubPermissionResponse,
          (o, r) => o.rest.repos.getCollaboratorPermissionLevel({ ...r, username: login }),
        ),
      );
      if (!result) {
        return 'none';
      }
      // role_name carries the fine levels (triage, maintain); permission only admin/write/read/none.
      const role = Permission.safeParse(result.role_name);
      if (role.success) {
        return role.data;
      }
      const level = Permission.safeParse(result.permission);
      return level.success ? level.data : 'none';
    },

    async setCommitStatus(repo, sha, status) {
      await call(
        repo,
        { method: 'POST', route: '/repos/{owner}/{repo}/statuses/{sha}' },
        z.unknown(),
        (o, r) =>
          o.rest.repos.createCommitStatus({
            ...r,
            sha,
            state: status.state satisfies CommitState,
            context: status.context,
            description: status.description.slice(0, 140),
            ...(status.targetUrl ? { target_url: status.targetUrl } : {}),
          }),
      );
    },

    async pushCredentials(repo): Promise<PushCredentials> {
      return { username: 'x-access-token', password: await token(repo, PUSH_PERMISSIONS) };
    },
  };
}

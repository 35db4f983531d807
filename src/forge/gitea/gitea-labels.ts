/**
 * Labels on Gitea. Labels are added to issues, removed from them and set on new issues by **id**
 * (older Gitea versions accept nothing else), so names are resolved through the repository's label
 * list and missing labels are created first.
 */
import { z } from 'zod';
import { notFoundAsNull } from '../not-found-as-null.js';
import type { ForgeLabelOperations, LabelSpec, RepoRef } from '../types.js';
import type { GiteaClient } from './gitea-client.js';
import { GiteaLabelResponse } from './gitea-api-schemas.js';
import { ISSUE_ROUTE, issuePath, repoPath } from './gitea-paths.js';

/** Colour given to labels that `addLabels` has to create (Gitea's default grey). */
const DEFAULT_COLOR = 'ededed';

/** Label lookups by name shared by the label and issue operations of the Gitea forge. */
export interface GiteaLabelResolver {
  /** Every label of the repository (all pages). */
  list: (repo: RepoRef) => Promise<{ id: number; name: string }[]>;
  /**
   * The ids of the labels `specs` (names compared case-insensitively), in order; missing labels are
   * created with their colour and description.
   * @throws ForgeRequestError when the list or a creation fails.
   */
  ids: (repo: RepoRef, specs: readonly LabelSpec[]) => Promise<number[]>;
  /** Like `ids` for bare names; missing labels are created grey. */
  idsForNames: (repo: RepoRef, names: readonly string[]) => Promise<number[]>;
}

/** Creates the resolver over `api`. Nothing is cached: every call reads the current label list. */
export function createGiteaLabelResolver(api: GiteaClient): GiteaLabelResolver {
  const list = (repo: RepoRef) =>
    api.paginate(
      { method: 'GET', route: '/repos/{owner}/{repo}/labels', path: `${repoPath(repo)}/labels` },
      GiteaLabelResponse,
    );

  async function ids(repo: RepoRef, specs: readonly LabelSpec[]): Promise<number[]> {
    const existing = await list(repo);
    const byName = new Map(existing.map((l) => [l.name.toLowerCase(), l.id]));
    const found: number[] = [];
    for (const spec of specs) {
      let id = byName.get(spec.name.toLowerCase());
      if (id === undefined) {
        const created = await api.request(
          {
            method: 'POST',
            route: '/repos/{owner}/{repo}/labels',
            path: `${repoPath(repo)}/labels`,
            body: {
              name: spec.name,
              color: `#${spec.color.replace(/^#/, '')}`,
              description: spec.description ?? '',
            },
          },
          GiteaLabelResponse,
        );
        id = created.id;
        byName.set(spec.name.toLowerCase(), id);
      }
      found.push(id);
    }
    return found;
  }

  return {
    list,
    ids,
    idsForNames: (repo, names) =>
      ids(
        repo,
        names.map((name) => ({ name, color: DEFAULT_COLOR })),
      ),
  };
}

/**
 * The label operations over `api`, resolving names with `labels`. Removing a label the repository
 * does not have, or the issue does not carry, is a no-op.
 */
export function createGiteaLabels(
  api: GiteaClient,
  labels: GiteaLabelResolver,
): ForgeLabelOperations {
  return {
    async ensureLabels(repo, specs) {
      await labels.ids(repo, specs);
    },

    async addLabels(repo, number, names) {
      const ids = await labels.idsForNames(repo, names);
      await api.request(
        {
          method: 'POST',
          route: `${ISSUE_ROUTE}/labels`,
          path: `${issuePath(repo, number)}/labels`,
          body: { labels: ids },
        },
        z.array(GiteaLabelResponse),
      );
    },

    async removeLabel(repo, number, name) {
      const label = (await labels.list(repo)).find(
        (l) => l.name.toLowerCase() === name.toLowerCase(),
      );
      if (!label) {
        return;
      }
      await notFoundAsNull(
        api.request(
          {
            method: 'DELETE',
            route: `${ISSUE_ROUTE}/labels/{id}`,
            path: `${issuePath(repo, number)}/labels/${label.id}`,
          },
          z.unknown(),
        ),
      );
    },
  };
}

/**
 * Labels on GitHub: the repository's label set and the labels of one issue or pull request, by name
 * (`issues.*Label*` of the REST API), on top of {@link GithubApi}.
 */
import { z } from 'zod';
import { ForgeRequestError } from '../../errors/forge-request-error.js';
import { notFoundAsNull } from '../not-found-as-null.js';
import type { ForgeLabelOperations, LabelSpec } from '../types.js';
import type { GithubApi } from './github-api.js';
import { GithubLabelResponse } from './github-api-schemas.js';

/**
 * The label operations over `api`. Names compare case-insensitively (as GitHub does); a label another
 * worker created at the same moment (422) counts as created; removing an absent label (404) is a no-op.
 */
export function createGithubLabels({ call }: GithubApi): ForgeLabelOperations {
  return {
    async ensureLabels(repo, labels: readonly LabelSpec[]) {
      const existing = await call(
        repo,
        { method: 'GET', route: '/repos/{owner}/{repo}/labels' },
        z.array(GithubLabelResponse),
        async (o, r) => ({
          data: await o.paginate(o.rest.issues.listLabelsForRepo, { ...r, per_page: 100 }),
        }),
      );
      const names = new Set(existing.map((l) => l.name.toLowerCase()));
      for (const label of labels) {
        if (names.has(label.name.toLowerCase())) {
          continue;
        }
        try {
          await call(
            repo,
            { method: 'POST', route: '/repos/{owner}/{repo}/labels' },
            GithubLabelResponse,
            (o, r) =>
              o.rest.issues.createLabel({
                ...r,
                name: label.name,
                color: label.color.replace(/^#/, ''),
                ...(label.description === undefined ? {} : { description: label.description }),
              }),
          );
        } catch (error) {
          // 422 already_exists: created concurrently by another worker; that is the goal anyway.
          if (!(error instanceof ForgeRequestError && error.status === 422)) {
            throw error;
          }
        }
      }
    },

    async addLabels(repo, number, names) {
      // GitHub creates missing labels itself (default colour) when adding by name.
      await call(
        repo,
        { method: 'POST', route: '/repos/{owner}/{repo}/issues/{issue_number}/labels' },
        z.array(GithubLabelResponse),
        (o, r) => o.rest.issues.addLabels({ ...r, issue_number: number, labels: [...names] }),
      );
    },

    async removeLabel(repo, number, name) {
      await notFoundAsNull(
        call(
          repo,
          { method: 'DELETE', route: '/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}' },
          z.unknown(),
          (o, r) => o.rest.issues.removeLabel({ ...r, issue_number: number, name }),
        ),
      );
    },
  };
}

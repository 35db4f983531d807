/**
 * The Gitea implementation of {@link Forge}: REST `/api/v1` with the bot's token (Gitea's swagger,
 * `<gitea>/api/swagger`). Gitea differences are handled in the modules this composes: labels by id
 * (`gitea-labels.ts`), a draft pull request as a `WIP: ` title prefix and merging with `Do: merge`
 * (`gitea-pull-requests.ts`), collaborator permission `owner` as `admin` (`gitea-repository.ts`); issues
 * and comments in `gitea-issues.ts`; all on one `gitea-client.ts`.
 */
import type { Forge } from '../types.js';
import { createGiteaClient, type GiteaClientOptions } from './gitea-client.js';
import { createGiteaIssues } from './gitea-issues.js';
import { createGiteaLabelResolver, createGiteaLabels } from './gitea-labels.js';
import { createGiteaPullRequests } from './gitea-pull-requests.js';
import { createGiteaRepository } from './gitea-repository.js';

/** Settings and collaborators of {@link createGiteaForge}. */
export interface GiteaForgeOptions extends GiteaClientOptions {
  /** The bot's login (push user name); looked up with `GET /user` when absent. */
  botLogin?: string;
}

/** Creates the Gitea forge. */
export function createGiteaForge(options: GiteaForgeOptions): Forge {
  const api = createGiteaClient(options);
  const labels = createGiteaLabelResolver(api);
  return {
    kind: 'gitea',
    ...createGiteaRepository(api, options),
    ...createGiteaIssues(api, labels),
    ...createGiteaLabels(api, labels),
    ...createGiteaPullRequests(api),
  };
}

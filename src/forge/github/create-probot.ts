/**
 * Probot for Tandem's GitHub side: used for App authentication (JWT, installation tokens with Probot's
 * token cache) and Octokit defaults, not for receiving webhooks (the ingest server verifies and
 * normalizes them itself; docs/forges.md says why).
 */
import { Probot, type ProbotOctokit } from 'probot';
import { z } from 'zod';
import type { GitHubAppConfig } from '../../config/server-config.js';
import type { Logger } from '../../log/logger.js';

/** Options of {@link createTandemProbot}. */
export interface CreateTandemProbotOptions {
  log: Logger;
  /** Octokit class to use; tests pass `ProbotOctokit.defaults(...)` with retries and throttling off. */
  Octokit?: typeof ProbotOctokit;
}

/** Creates the Probot instance for the configured GitHub App (github.com or GitHub Enterprise Server). */
export function createTandemProbot(
  config: GitHubAppConfig,
  options: CreateTandemProbotOptions,
): Probot {
  return new Probot({
    appId: config.appId,
    privateKey: config.privateKey,
    secret: config.webhookSecret,
    log: options.log.child({ name: 'probot' }),
    ...(config.gheHost
      ? { baseUrl: `${config.gheProtocol ?? 'https'}://${config.gheHost}/api/v3` }
      : {}),
    ...(options.Octokit ? { Octokit: options.Octokit } : {}),
  });
}

const AppResponse = z.object({ slug: z.string().min(1) });

/**
 * The App's own bot login, `<slug>[bot]` (GET /app, authenticated as the App). Events sent by this
 * login are Tandem's own and are dropped at ingestion.
 */
export async function githubBotLogin(probot: Probot): Promise<string> {
  const octokit = await probot.auth();
  const { data } = await octokit.rest.apps.getAuthenticated();
  return `${AppResponse.parse(data).slug}[bot]`;
}

/**
 * The login of the Gitea user a token belongs to (`GET /api/v1/user`): Tandem's bot identity on Gitea.
 * Events sent by this login are Tandem's own and are dropped at ingestion.
 */
import { GiteaUserResponse } from './gitea-api-schemas.js';
import { createGiteaClient, type GiteaClientOptions } from './gitea-client.js';

/**
 * Asks Gitea who the token's user is.
 * @throws ForgeRequestError (status 401 for a rejected token, 0 when Gitea cannot be reached)
 */
export async function giteaBotLogin(options: GiteaClientOptions): Promise<string> {
  const user = await createGiteaClient(options).request(
    { method: 'GET', route: '/user', path: '/user' },
    GiteaUserResponse,
  );
  return user.login;
}

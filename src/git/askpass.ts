/**
 * Push/fetch credentials through `GIT_ASKPASS` (gitcredentials(7)): a fixed script prints the username and
 * password from its own environment, and the secret is put into the environment of that one git command
 * only. The secret is never in argv, a remote URL, a config file, the script file or a log line.
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** HTTP credentials for one remote (a forge installation token is `x-access-token` + token). */
export interface GitCredentials {
  username: string;
  password: string;
}

/** The askpass script: answers git's "Username for …" and "Password for …" prompts from the environment. */
export const ASKPASS_SCRIPT = `#!/bin/sh
case "$1" in
  Username*) printf '%s\\n' "$TANDEM_GIT_USERNAME" ;;
  *) printf '%s\\n' "$TANDEM_GIT_PASSWORD" ;;
esac
`;

/**
 * Writes the askpass script into `dir` (created 0700; a directory outside the workspace) and returns its
 * path. The file holds no secret.
 */
export async function writeAskpassScript(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, 'askpass.sh');
  await writeFile(path, ASKPASS_SCRIPT, { mode: 0o700 });
  await chmod(path, 0o700);
  return path;
}

/** The environment of one git command that may need `credentials`. */
export function askpassEnv(
  scriptPath: string,
  credentials: GitCredentials,
): Record<string, string> {
  return {
    GIT_ASKPASS: scriptPath,
    TANDEM_GIT_USERNAME: credentials.username,
    TANDEM_GIT_PASSWORD: credentials.password,
  };
}

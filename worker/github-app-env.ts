/**
 * Where the GitHub App credentials created by Probot's manifest flow are kept: `<data dir>/github-app.env`
 * (dotenv format, mode 0600), instead of Probot's `.env` in the working directory, so they live with the
 * rest of Tandem's state (one volume in Docker). Variables set in the real environment always win.
 */
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseEnv } from 'node:util';

/** File name of the credentials file inside the data directory. */
export const GITHUB_APP_ENV_FILE = 'github-app.env';

/** The path of the credentials file for `dataDir`. */
export function githubAppEnvPath(dataDir: string): string {
  return join(dataDir, GITHUB_APP_ENV_FILE);
}

/**
 * The environment Tandem starts with: the variables of `<data dir>/github-app.env` (when it exists)
 * overlaid by `env`. The data directory is `env.TANDEM_DATA_DIR` or `./.tandem`.
 */
export async function withGithubAppEnv(
  env: Readonly<Record<string, string | undefined>>,
): Promise<Record<string, string | undefined>> {
  const dataDir = env.TANDEM_DATA_DIR?.trim() || './.tandem';
  let text: string;
  try {
    text = await readFile(githubAppEnvPath(dataDir), 'utf8');
  } catch {
    return { ...env };
  }
  const fromFile = parseEnv(text) as Record<string, string>;
  const out: Record<string, string | undefined> = { ...fromFile };
  for (const [k, v] of Object.entries(env)) {
    if (v !== undefined && v.trim() !== '') {
      out[k] = v;
    } else if (!(k in out)) {
      out[k] = v;
    }
  }
  return out;
}

/**
 * Merges `vars` into the credentials file (created 0600). Values are written double-quoted with
 * newlines as `\n`, which `parseEnv` turns back into newlines (Node's parser has no other escapes:
 * the values Probot hands over, an id, a PEM key and hex secrets, hold no `"`).
 */
export async function saveGithubAppEnv(
  dataDir: string,
  vars: Readonly<Record<string, string>>,
): Promise<string> {
  const path = githubAppEnvPath(dataDir);
  let existing: Record<string, string> = {};
  try {
    existing = parseEnv(await readFile(path, 'utf8')) as Record<string, string>;
  } catch {
    existing = {};
  }
  const merged = { ...existing, ...vars };
  const text = Object.entries(merged)
    .map(([k, v]) => `${k}="${v.replace(/\r?\n/g, '\\n')}"`)
    .join('\n');
  await writeFile(path, `${text}\n`, { mode: 0o600 });
  await chmod(path, 0o600);
  return path;
}

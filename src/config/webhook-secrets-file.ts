/**
 * The per-repository Gitea webhook secrets file (`GITEA_WEBHOOK_SECRETS_FILE`): one `owner/repo=secret`
 * per line; blank lines and lines starting with `#` are skipped; spaces around the name and the secret
 * are trimmed; names are compared without case (as Gitea does). Problems name the line, never a secret.
 */
import type { ConfigIssue } from '../errors/index.js';

const REPOSITORY = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

/**
 * Parses the file's text.
 * @param variable the variable named in issues (`GITEA_WEBHOOK_SECRETS_FILE`)
 * @returns lower-case `owner/repo` → secret, and one issue per bad line (a line without `=`, a bad
 *   repository name, an empty secret, a repository listed twice)
 */
export function parseWebhookSecrets(
  text: string,
  variable: string,
): { secrets: Map<string, string>; issues: ConfigIssue[] } {
  const secrets = new Map<string, string>();
  const issues: ConfigIssue[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) {
      return;
    }
    const at = `line ${index + 1}`;
    const eq = line.indexOf('=');
    const name = eq < 0 ? line : line.slice(0, eq).trim();
    const secret = eq < 0 ? '' : line.slice(eq + 1).trim();
    if (eq < 0 || !REPOSITORY.test(name)) {
      issues.push({ path: variable, message: `${at}: expected owner/repo=secret` });
    } else if (secret === '') {
      issues.push({ path: variable, message: `${at}: the secret of ${name} is empty` });
    } else if (secrets.has(name.toLowerCase())) {
      issues.push({ path: variable, message: `${at}: ${name} is listed twice` });
    } else {
      secrets.set(name.toLowerCase(), secret);
    }
  });
  return { secrets, issues };
}

import type { ServerConfig } from './server-config.js';

/**
 * Every secret value held by `config`: the GitHub private key and webhook secret, the Gitea token and
 * webhook secrets (shared and per repository), the status page and metrics tokens, and the passwords (raw and percent-decoded) in `DATABASE_URL` and `REDIS_URL`
 * (user names are not secret and are often ordinary words such as `postgres`). Pass the result to `redactSecrets(text, known)` so none reaches a log or an error.
 */
export function secretValues(config: ServerConfig): string[] {
  const out = new Set<string>();
  const add = (v: string | undefined) => {
    if (v !== undefined && v !== '') {
      out.add(v);
    }
  };
  add(config.github?.privateKey.trim());
  add(config.github?.webhookSecret);
  add(config.gitea?.token);
  add(config.gitea?.webhookSecret);
  add(config.statusToken);
  add(config.metricsToken);
  for (const secret of config.gitea?.repositorySecrets.values() ?? []) {
    add(secret);
  }
  for (const url of [config.databaseUrl, config.redisUrl]) {
    if (url !== undefined && URL.canParse(url)) {
      const { password } = new URL(url);
      add(password);
      add(safeDecode(password));
    }
  }
  return [...out];
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

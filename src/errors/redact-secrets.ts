/**
 * Replaces credentials in free text with `[REDACTED]`, as octokit's `RequestError` does.
 *
 * Covers: userinfo in URLs (`https://user:token@host`), `Authorization`/`token`/`Bearer` values,
 * GitHub token prefixes (ghp_, gho_, ghs_, ghu_, ghr_, github_pat_), OpenAI-style `sk-…` keys, PEM private
 * keys, and any exact value listed in `known` (e.g. the configured Gitea token or webhook secret).
 * Values shorter than 6 characters in `known` are ignored to avoid mangling ordinary words.
 */
export function redactSecrets(text: string, known: readonly string[] = []): string {
  let out = text
    .replace(
      /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g,
      '[REDACTED]',
    )
    .replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^/\s:@]*(?::[^/\s@]*)?@/gi, '$1[REDACTED]@')
    .replace(
      /\b(authorization|proxy-authorization)(["']?\s*[:=]\s*["']?)[^"'\n,}]+/gi,
      '$1$2[REDACTED]',
    )
    .replace(/\b(bearer|token|basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, '$1 [REDACTED]')
    .replace(
      /\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|sk-[A-Za-z0-9_-]{16,})/g,
      '[REDACTED]',
    );
  for (const secret of known) {
    if (secret.length >= 6) {
      out = out.split(secret).join('[REDACTED]');
    }
  }
  return out;
}

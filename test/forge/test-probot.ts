/**
 * A Probot for tests (FACTS.md): a freshly generated RSA key, retries and throttling off, silent log.
 * Installation tokens are then requested from the mocked `POST /app/installations/{id}/access_tokens`.
 */
import { generateKeyPairSync } from 'node:crypto';
import { pino } from 'pino';
import { Probot, ProbotOctokit } from 'probot';

let privateKey: string | undefined;

/** A new Probot (own token cache) for app id 1; the key pair is generated once per test file. */
export function createTestProbot(): Probot {
  privateKey ??= generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  }).privateKey;
  return new Probot({
    appId: 1,
    privateKey,
    log: pino({ level: 'silent' }),
    Octokit: ProbotOctokit.defaults((o: Record<string, unknown>) => ({
      ...o,
      retry: { enabled: false },
      throttle: { enabled: false },
    })),
  });
}

/** The token the tests' mocked `POST /app/installations/{id}/access_tokens` hands out. */
export const INSTALLATION_TOKEN = 'ghs_testtoken0000000000000000000000000000';

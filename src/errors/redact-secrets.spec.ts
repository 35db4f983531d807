import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { redactSecrets } from './redact-secrets.js';

const ghs = 'ghs_16C7e42F292c6912E7710c838347Ae178B4a';

describe('redactSecrets', () => {
  it.each([
    [
      'a GitHub installation token in a clone URL',
      `fatal: could not read from https://x-access-token:${ghs}@github.com/o/r.git`,
      'fatal: could not read from https://[REDACTED]@github.com/o/r.git',
    ],
    [
      'user and password in a database URL',
      'connect ECONNREFUSED postgres://tandem:pa55word@db:5432/tandem',
      'connect ECONNREFUSED postgres://[REDACTED]@db:5432/tandem',
    ],
    [
      'a password-only Redis URL',
      'redis://:s3cretpass@cache:6379/0 unreachable',
      'redis://[REDACTED]@cache:6379/0 unreachable',
    ],
    [
      'a token-only URL',
      'push to https://abcdef123456@gitea.local/o/r',
      'push to https://[REDACTED]@gitea.local/o/r',
    ],
    [
      'an Authorization header line',
      'Authorization: token 0123456789abcdef0123',
      'Authorization: [REDACTED]',
    ],
    [
      'an authorization header in JSON',
      '{"authorization":"Bearer abc.def.ghi-123","accept":"json"}',
      '{"authorization":"[REDACTED]","accept":"json"}',
    ],
    [
      'a Proxy-Authorization header',
      "headers: { 'proxy-authorization': 'Basic dXNlcjpwYXNz' }",
      "headers: { 'proxy-authorization': '[REDACTED]' }",
    ],
    [
      'a Bearer value in prose',
      'sent Bearer eyJhbGciOiJIUzI1NiJ9.e30.x to api',
      'sent Bearer [REDACTED] to api',
    ],
    [
      'a Gitea "token" value',
      'using token 9f86d081884c7d659a2feaa0c55ad015',
      'using token [REDACTED]',
    ],
    ['a classic PAT', `key ghp_${'a1B2'.repeat(9)} leaked`, 'key [REDACTED] leaked'],
    ['an installation token', `got ${ghs}`, 'got [REDACTED]'],
    [
      'a fine-grained PAT',
      'github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789',
      '[REDACTED]',
    ],
    [
      'an OpenAI key',
      'OPENAI_API_KEY is sk-proj-AbCdEfGhIjKlMnOpQrStUv',
      'OPENAI_API_KEY is [REDACTED]',
    ],
  ])('redacts %s', (_what, input, expected) => {
    expect(redactSecrets(input)).toBe(expected);
  });

  it('redacts a whole PEM private key, PKCS#1 and PKCS#8', () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    for (const type of ['pkcs1', 'pkcs8'] as const) {
      const pem = privateKey.export({ type, format: 'pem' }).toString();
      const out = redactSecrets(`key:\n${pem}done`);
      expect(out).toBe('key:\n[REDACTED]\ndone');
    }
  });

  it('redacts every occurrence of known values, ignoring ones shorter than 6 characters', () => {
    const out = redactSecrets('secret hunter2-long, again hunter2-long; abc stays', [
      'hunter2-long',
      'abc',
      '',
    ]);
    expect(out).toBe('secret [REDACTED], again [REDACTED]; abc stays');
  });

  it('leaves ordinary text, e-mail addresses and URLs without credentials alone', () => {
    for (const text of [
      'mail bob@example.com about http://example.com/a@b',
      'https://github.com/o/r/pull/12 merged',
      'the token was fine',
      'skip sk-short',
    ]) {
      expect(redactSecrets(text)).toBe(text);
    }
  });
});

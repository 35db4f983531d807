import { describe, expect, it } from 'vitest';
import { isSecretKey, scrubLogObject } from './scrub-log-object.js';

describe('isSecretKey', () => {
  it.each([
    'token',
    'accessToken',
    'GITEA_TOKEN',
    'webhookSecret',
    'WEBHOOK_SECRET',
    'password',
    'apiKey',
    'OPENAI_API_KEY',
    'privateKey',
    'Authorization',
    'proxy-authorization',
    'x-hub-signature-256',
    'X-Gitea-Signature',
    'cookie',
    'connectionString',
  ])('treats %s as secret', (key) => {
    expect(isSecretKey(key)).toBe(true);
  });

  it.each([
    'tokensIn',
    'tokensOut',
    'maxTokens',
    'tokenBudget',
    'privateKeyPath',
    'author',
    'repo',
  ])('treats %s as ordinary', (key) => {
    expect(isSecretKey(key)).toBe(false);
  });
});

describe('scrubLogObject', () => {
  it('does not modify its input', () => {
    const input = { a: { token: 'abcdef-123456' }, list: ['https://u:pw123456@h/x'] };
    const copy = structuredClone(input);
    const out = scrubLogObject(input, []);
    expect(input).toEqual(copy);
    expect(out).toEqual({ a: { token: '[REDACTED]' }, list: ['https://[REDACTED]@h/x'] });
  });

  it('keeps null and undefined secret fields as they are, so "not set" stays visible', () => {
    expect(scrubLogObject({ token: null, secret: undefined })).toEqual({
      token: null,
      secret: undefined,
    });
  });

  it('keeps non-plain objects, truncates deep nesting', () => {
    const date = new Date(0);
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 12; i++) {
      deep = { next: deep };
    }
    const out = scrubLogObject({ date, deep });
    expect(out.date).toBe(date);
    expect(JSON.stringify(out.deep)).toContain('[Truncated]');
  });

  it('serialises errors found under any key', () => {
    const out = scrubLogObject({ failure: new TypeError('bad https://u:secretpw1@h') });
    expect(out.failure).toMatchObject({ type: 'TypeError', message: 'bad https://[REDACTED]@h' });
  });
});

import { describe, expect, it } from 'vitest';
import { createLogger, type CreateLoggerOptions } from './logger.js';

const ghs = 'ghs_16C7e42F292c6912E7710c838347Ae178B4a';

/** A logger writing JSON lines into memory; returns the logger and the parsed lines so far. */
function capture(options: Omit<CreateLoggerOptions, 'destination'> = {}) {
  const raw: string[] = [];
  const log = createLogger({
    level: 'trace',
    ...options,
    destination: { write: (s) => raw.push(s) },
  });
  return {
    log,
    raw,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the test walks parsed JSON lines
    lines: () => raw.map((l) => JSON.parse(l) as Record<string, any>),
  };
}

describe('createLogger', () => {
  it('writes JSON lines with level, ISO time, message and fields', () => {
    const { log, lines } = capture({ base: { process: 'worker' } });
    log.child({ jobId: 'j1', repo: 'o/r' }).warn({ ticket: 12, exitCode: 1 }, 'verify red');
    const [line] = lines();
    expect(line).toMatchObject({
      level: 40,
      process: 'worker',
      jobId: 'j1',
      repo: 'o/r',
      ticket: 12,
      exitCode: 1,
      msg: 'verify red',
    });
    expect(new Date(line!.time as string).toISOString()).toBe(line!.time);
  });

  it('respects the level', () => {
    const { log, raw } = capture({ level: 'warn' });
    log.info('hidden');
    log.error('shown');
    expect(raw).toHaveLength(1);
  });

  it('redacts authorization and token at the top level and in headers', () => {
    const { log, raw, lines } = capture();
    log.info(
      {
        authorization: `token ${ghs}`,
        token: 'plain-token-value',
        headers: { Authorization: 'Bearer abc.def.ghi', 'x-hub-signature-256': 'sha256=ff00' },
      },
      'request',
    );
    expect(lines()[0]).toMatchObject({
      authorization: '[REDACTED]',
      token: '[REDACTED]',
      headers: { Authorization: '[REDACTED]', 'x-hub-signature-256': '[REDACTED]' },
    });
    for (const secret of [ghs, 'plain-token-value', 'abc.def.ghi', 'ff00']) {
      expect(raw[0]).not.toContain(secret);
    }
  });

  it('redacts secret-named keys at any depth, inside arrays, and leaves token counts alone', () => {
    const { log, raw, lines } = capture();
    log.info({
      job: { data: { forge: { gitea: { apiToken: 'deep-secret-1', url: 'http://g' } } } },
      env: { GITEA_TOKEN: 'deep-secret-2', WEBHOOK_SECRET: 'deep-secret-3', PORT: '3000' },
      clients: [{ privateKey: 'deep-secret-4' }, { password: 'deep-secret-5' }],
      usage: { tokensIn: 120, tokensOut: 30, maxTokens: 4096 },
    });
    const line = lines()[0]!;
    expect(line.job.data.forge.gitea).toEqual({ apiToken: '[REDACTED]', url: 'http://g' });
    expect(line.env).toEqual({
      GITEA_TOKEN: '[REDACTED]',
      WEBHOOK_SECRET: '[REDACTED]',
      PORT: '3000',
    });
    expect(line.clients).toEqual([{ privateKey: '[REDACTED]' }, { password: '[REDACTED]' }]);
    expect(line.usage).toEqual({ tokensIn: 120, tokensOut: 30, maxTokens: 4096 });
    expect(raw[0]).not.toMatch(/deep-secret/);
  });

  it('scrubs credentials inside string values, messages and format arguments', () => {
    const { log, raw, lines } = capture();
    log.error(
      { remote: `https://x-access-token:${ghs}@github.com/o/r.git` },
      'push to %s failed',
      'redis://:redis-pw-123@cache:6379',
    );
    log.info(`cloned with Bearer ${ghs}`);
    expect(lines()[0]!.remote).toBe('https://[REDACTED]@github.com/o/r.git');
    expect(lines()[0]!.msg).toBe('push to redis://[REDACTED]@cache:6379 failed');
    expect(lines()[1]!.msg).toBe('cloned with Bearer [REDACTED]');
    expect(raw.join('')).not.toMatch(/ghs_|redis-pw-123/);
  });

  it('serialises errors and scrubs their message and stack, causes included', () => {
    const { log, raw, lines } = capture();
    const cause = new Error(`token ${ghs} rejected`);
    const error = Object.assign(new Error('fetch https://u:hunter2pw@host failed', { cause }), {
      code: 'E_FETCH',
    });
    log.error({ err: error }, 'forge call failed');
    const { err } = lines()[0]!;
    expect(err).toMatchObject({ type: 'Error', code: 'E_FETCH' });
    expect(err.message).toContain('fetch https://[REDACTED]@host failed');
    expect(err.stack).toContain('Error: fetch https://[REDACTED]@host failed');
    expect(raw[0]).not.toMatch(/hunter2pw|ghs_/);
  });

  it('scrubs exact known secret values everywhere, including child bindings', () => {
    const { log, raw } = capture({ secrets: ['my-webhook-secret-42'] });
    log
      .child({ note: 'signed with my-webhook-secret-42' })
      .info({ detail: 'x my-webhook-secret-42 y' }, 'hmac my-webhook-secret-42');
    expect(raw[0]).not.toContain('my-webhook-secret-42');
    expect(raw[0]).toContain('signed with [REDACTED]');
  });

  it('survives cycles', () => {
    const { log, lines } = capture();
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    log.info({ a });
    expect(lines()[0]!.a).toEqual({ name: 'a', self: '[Circular]' });
  });
});

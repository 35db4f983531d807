import { describe, expect, it } from 'vitest';
import { ConfigError } from './config-error.js';
import { TandemError } from './tandem-error.js';

describe('ConfigError', () => {
  it('formats a heading and one line per issue, with the line when known', () => {
    expect(
      ConfigError.format('.github/tandem.yml', [
        { path: 'budgets.cycles', message: 'must be at least 1', line: 3 },
        { path: 'REDIS_URL', message: 'must be a Redis URL' },
        { path: '', message: 'YAML syntax error', line: 1 },
      ]),
    ).toBe(
      [
        'invalid .github/tandem.yml: 3 problems',
        '  - budgets.cycles (line 3): must be at least 1',
        '  - REDIS_URL: must be a Redis URL',
        '  - (root) (line 1): YAML syntax error',
      ].join('\n'),
    );
  });

  it('says "problem" for a single issue', () => {
    expect(ConfigError.format('environment', [{ path: 'PORT', message: 'bad' }])).toBe(
      'invalid environment: 1 problem\n  - PORT: bad',
    );
  });

  it('is a TandemError with a stable code, its source and issues, and the cause', () => {
    const cause = new Error('inner');
    const issues = [{ path: 'PORT', message: 'must be a number' }];
    const error = new ConfigError('environment', issues, { cause });
    expect(error).toBeInstanceOf(TandemError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('ConfigError');
    expect(error.code).toBe('config_invalid');
    expect(error.source).toBe('environment');
    expect(error.issues).toEqual(issues);
    expect(error.cause).toBe(cause);
    expect(error.message).toBe(ConfigError.format('environment', issues));
  });
});

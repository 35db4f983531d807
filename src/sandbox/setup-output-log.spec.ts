import { describe, expect, it } from 'vitest';
import { createLogger } from '../log/logger.js';
import { LOGGED_LINES_PER_COMMAND, setupOutputLog } from './setup-output-log.js';
import type { ExecResult } from './types.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    level: 'info',
    destination: { write: (l: string) => lines.push(JSON.parse(l) as Record<string, unknown>) },
  });
  return { logger, lines };
}

const result = (overrides: Partial<ExecResult>): { result: ExecResult } => ({
  result: {
    exitCode: 0,
    stdout: '',
    stderr: '',
    durationMs: 1_200,
    timedOut: false,
    truncated: false,
    oomKilled: false,
    diskLimitExceeded: false,
    ...overrides,
  },
});

describe('setupOutputLog', () => {
  it('logs the first command of a sandbox as it runs, up to the cap, and ignores later ones', () => {
    const { logger, lines } = capture();
    const observe = setupOutputLog(logger);
    expect(
      observe({ jobId: 'j', argv: ['npm', 'test'], network: false, index: 1 }),
    ).toBeUndefined();
    const setup = observe({ jobId: 'j', argv: ['npm', 'ci'], network: true, index: 0 })!;
    for (let i = 0; i < LOGGED_LINES_PER_COMMAND + 5; i++) {
      setup.onOutput!(`line ${i}`, 'stdout');
    }
    setup.onEnd!(result({}));
    const output = lines.filter((l) => l.msg === 'sandbox output');
    expect(output).toHaveLength(LOGGED_LINES_PER_COMMAND);
    expect(output[0]).toMatchObject({ jobId: 'j', stream: 'stdout', line: 'line 0' });
    expect(
      lines.filter((l) => l.msg === 'sandbox output: further lines are not logged'),
    ).toHaveLength(1);
    expect(lines.at(-1)).toMatchObject({
      msg: 'first sandbox command finished',
      command: 'npm ci',
      lines: LOGGED_LINES_PER_COMMAND + 5,
    });
  });

  it('warns with the last lines of a failed setup and the CA setting for a TLS failure', () => {
    const { logger, lines } = capture();
    const setup = setupOutputLog(logger)({
      jobId: 'j',
      argv: ['npm', 'ci'],
      network: true,
      index: 0,
    })!;
    setup.onOutput!('npm ERR! code SELF_SIGNED_CERT_IN_CHAIN', 'stderr');
    setup.onEnd!(result({ exitCode: 1 }));
    expect(lines.at(-1)).toMatchObject({
      level: 40,
      msg: 'first sandbox command failed',
      exitCode: 1,
      lastLines: ['npm ERR! code SELF_SIGNED_CERT_IN_CHAIN'],
      hint: expect.stringContaining('TANDEM_SANDBOX_CA_CERTS'),
    });
  });
});

import type { Logger } from '../log/logger.js';
import { tlsTrustHint } from './tls-trust-hint.js';
import type { SandboxObserver } from './types.js';

/** Output lines of one command written to the log; the rest are counted. */
export const LOGGED_LINES_PER_COMMAND = 200;
/** Last lines of a failed command kept for its warning. */
const LAST_LINES = 20;

/**
 * A {@link SandboxObserver} that writes the output of each sandbox's first command (the setup, when the
 * policy has one; it is the first command by the pair protocol) to the log as it comes, at info, up to
 * {@link LOGGED_LINES_PER_COMMAND} lines, and warns with the last lines when that command fails or
 * times out, naming `TANDEM_SANDBOX_CA_CERTS` when the output shows an untrusted TLS certificate.
 * So a slow `npm ci` shows what it is doing, and a failing one says why, without reading the run.
 * @param caConfigured whether the sandboxes get extra CA certificates (`TANDEM_SANDBOX_CA_CERTS`).
 */
export function setupOutputLog(logger: Logger, caConfigured = false): SandboxObserver {
  return ({ jobId, argv, index }) => {
    if (index !== 0) {
      return undefined;
    }
    const command = argv.join(' ').slice(0, 200);
    const last: string[] = [];
    let lines = 0;
    return {
      onOutput(line, stream) {
        lines += 1;
        last.push(line);
        if (last.length > LAST_LINES) {
          last.shift();
        }
        if (lines <= LOGGED_LINES_PER_COMMAND) {
          logger.info({ jobId, stream, line }, 'sandbox output');
        } else if (lines === LOGGED_LINES_PER_COMMAND + 1) {
          logger.info(
            { jobId, command, logged: LOGGED_LINES_PER_COMMAND },
            'sandbox output: further lines are not logged',
          );
        }
      },
      onEnd(outcome) {
        if (!('result' in outcome)) {
          return;
        }
        const { exitCode, timedOut, durationMs } = outcome.result;
        if (exitCode === 0 && !timedOut) {
          logger.info({ jobId, command, durationMs, lines }, 'first sandbox command finished');
          return;
        }
        const hint = tlsTrustHint(last.join('\n'), caConfigured);
        logger.warn(
          {
            jobId,
            command,
            exitCode,
            timedOut,
            durationMs,
            lastLines: last,
            ...(hint ? { hint } : {}),
          },
          'first sandbox command failed',
        );
      },
    };
  };
}

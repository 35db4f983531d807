/**
 * `run_command`: a command in the sandbox (the repository's own tools: a build, a type check, a script),
 * given as argv or as a shell line (run with `sh -c` inside the container: the shell is the sandbox's).
 * No network, a time limit, and output budgeted to its start and end around an explicit cut marker.
 * Files a command changes outside the role's boundary are reverted by the engine after the phase.
 */
import { z } from 'zod';
import { DiskLimitExceededError } from '../../errors/index.js';
import { plainText } from '../test-output/parse-test-output.js';
import { cutMiddle } from '../test-output/render-test-output.js';
import { defineTool, fail } from './tool-context.js';

/** Time limit when the context gives none, in ms. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 120_000;
/** Output captured per stream, in bytes, before the sandbox drops the rest. */
export const COMMAND_CAPTURE_BYTES = 256 * 1024;
/** Output returned to the agent, in characters. */
export const COMMAND_OUTPUT_CHARS = 4_000;

const DROPPED = `\n[output past ${COMMAND_CAPTURE_BYTES / 1024} KiB per stream was not captured]`;

export const runCommand = defineTool({
  name: 'run_command',
  description: 'Run a shell command line (or argv) in the sandbox, without network, time-limited.',
  args: z.object({
    command: z.string().min(1).optional(),
    argv: z.array(z.string()).min(1).optional(),
    timeout_seconds: z.coerce.number().int().min(1).optional(),
  }),
  async run(args, ctx) {
    if (!ctx.runCommand) {
      return fail('unavailable', 'run_command is not available in this run');
    }
    if ((args.command === undefined) === (args.argv === undefined)) {
      return fail(
        'invalid_arguments',
        'give either command (a shell line) or argv (a list), not both and not neither',
      );
    }
    const argv = args.argv ?? ['sh', '-c', args.command ?? ''];
    const limit = ctx.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    const timeoutMs = Math.min(limit, (args.timeout_seconds ?? limit / 1000) * 1000);
    const result = await ctx.runCommand(argv, { timeoutMs, maxOutputBytes: COMMAND_CAPTURE_BYTES });
    if (result.diskLimitExceeded) {
      // Not the agent's to fix in this phase: the engine discards the changes and blocks the ticket.
      throw new DiskLimitExceededError(result.diskLimitBytes, result.workspaceBytes);
    }
    const combined = plainText(
      `${result.stdout}${result.stderr ? `\n${result.stderr}` : ''}`,
    ).trim();
    return {
      ok: true,
      exit_code: result.exitCode,
      ...(result.timedOut ? { timed_out: true, note: `killed after ${timeoutMs / 1000} s` } : {}),
      ...(result.oomKilled ? { out_of_memory: true } : {}),
      output: result.truncated
        ? `${cutMiddle(combined, COMMAND_OUTPUT_CHARS - DROPPED.length)}${DROPPED}`
        : cutMiddle(combined, COMMAND_OUTPUT_CHARS),
    };
  },
});

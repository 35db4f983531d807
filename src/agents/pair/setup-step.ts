/**
 * Before the first step of an engine run: the policy's `sandbox.setup` argv (once per engine run, since a
 * resumed run has a new container) and, on a fresh run, the baseline run of the suite, which must pass.
 */
import { DiskLimitExceededError } from '../../errors/index.js';
import type { PairRun } from './pair-run.js';

/** Characters of the setup output kept as `lastTestOutput`. */
const SETUP_OUTPUT_CHARS = 4_000;

/**
 * Runs the setup command before any test run: the first command in the sandbox, so with
 * `network: setup` it is the one that gets the network. A failing setup blocks the ticket
 * (`setup_failed`), a workspace over its disk limit too (`workspace_too_large`). Returns false when blocked.
 */
export async function runSetup(run: PairRun): Promise<boolean> {
  const { setup, network, commandTimeoutSeconds } = run.o.policy.sandbox;
  if (setup.length === 0) {
    return true;
  }
  const { signal } = run.o;
  const result = await run.o.sandbox.exec(setup, {
    timeoutMs: commandTimeoutSeconds * 1000,
    ...(network === 'setup' ? { network: true } : {}),
    ...(signal ? { signal } : {}),
    ...run.diskLimit(),
  });
  signal?.throwIfAborted();
  if (result.diskLimitExceeded) {
    await run.onDiskLimit(new DiskLimitExceededError(result.diskLimitBytes, result.workspaceBytes));
    return false;
  }
  await run.event('pair.setup', {
    exitCode: result.exitCode,
    durationMs: result.durationMs,
    timedOut: result.timedOut,
    network: network === 'setup',
  });
  if (result.exitCode === 0 && !result.timedOut) {
    return true;
  }
  const output = `${result.stdout}${result.stderr ? `\n${result.stderr}` : ''}`.trim();
  run.cp.lastTestOutput = output.slice(-SETUP_OUTPUT_CHARS);
  run.block(
    'setup_failed',
    result.timedOut
      ? `the setup command (${setup.join(' ')}) timed out`
      : `the setup command (${setup.join(' ')}) exited with ${result.exitCode}`,
  );
  return false;
}

/** The baseline run of a fresh ticket: a suite that is not green before any change blocks it. */
export async function runBaseline(run: PairRun): Promise<void> {
  const baseline = await run.suite().catch((error: unknown) => run.onDiskLimit(error));
  // The baseline belongs to no cycle.
  run.testMs = 0;
  if (baseline && baseline.status !== 'passed') {
    run.block('baseline_not_green', `the suite is ${baseline.status} before any change`);
  }
}

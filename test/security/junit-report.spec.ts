/**
 * The JUnit report lies in the workspace, where the test command (sandbox code) can put anything in its
 * place: a symlink to a host directory or file, a FIFO, a link to `/dev/zero`. `runSuite` runs through a
 * real Docker sandbox and reads the report on the host; nothing of the host may change, no host content
 * may reach the agent, and it must come back within a bound without exhausting the worker.
 */
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runSuite, type SuiteRun } from '../../src/agents/run-suite.js';
import { stage, type Stage } from './security-harness.js';

let s: Stage | undefined;

afterEach(async () => {
  await s?.cleanup();
  s = undefined;
});

/** Runs the suite with `script` as the test command (`$1` is the report path). */
function suite(stage: Stage, script: string, timeoutMs = 20_000): Promise<SuiteRun> {
  return runSuite({
    sandbox: stage.sandbox,
    workTree: stage.sandbox.spec.workspaceDir,
    command: ['sh', '-c', script, 'suite', '{junit}'],
    timeoutMs,
  });
}

/** Resolves with how long `promise` took, or rejects when it takes longer than `ms`. */
async function within<T>(ms: number, promise: Promise<T>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not return within ${ms} ms`)), ms);
  });
  try {
    const value = await Promise.race([promise, late]);
    return { value, ms: Date.now() - started };
  } finally {
    clearTimeout(timer);
  }
}

const REPORT = `<testsuite name="s"><testcase classname="c" name="t"/></testsuite>`;

describe('the JUnit report never leads the host outside the workspace', () => {
  it('.tandem replaced by a symlink to a host directory: the host neither chmods nor deletes in it', async () => {
    s = await stage();
    const hostDir = join(s.dir, 'host-dir');
    await mkdir(hostDir);
    await writeFile(join(hostDir, 'junit.xml'), 'host file');
    await chmod(hostDir, 0o700);
    const planted = await s.sh(`rm -rf .tandem && ln -s ${hostDir} .tandem`);
    expect(planted.exitCode, planted.stderr).toBe(0);
    const run = await suite(s, 'exit 0');
    expect((await stat(hostDir)).mode & 0o777).toBe(0o700);
    expect(await readFile(join(hostDir, 'junit.xml'), 'utf8')).toBe('host file');
    // The link leads out of the workspace: no report, the exit code decides.
    expect(run).toMatchObject({ status: 'passed', cases: null });
  });

  it("the report as a symlink to a host file: the file's content never reaches the agent", async () => {
    s = await stage();
    const secret = join(s.dir, 'secret.xml');
    await writeFile(
      secret,
      `<testsuite><testcase classname="c" name="t"><failure message="HOST-SECRET-42"/></testcase></testsuite>`,
    );
    const run = await suite(s, `rm -f "$1"; ln -s ${secret} "$1"; exit 1`);
    expect(JSON.stringify(run)).not.toContain('HOST-SECRET-42');
    expect(run.cases).toBeNull();
    // A report the runner really wrote is still read.
    const honest = await suite(s, `printf '%s' '${REPORT}' > "$1"`);
    expect(honest).toMatchObject({ status: 'passed', cases: [{ id: 'c::t', outcome: 'passed' }] });
  });

  it('the report as a FIFO: runSuite returns, five times in a row, and the worker can still read files', async () => {
    s = await stage();
    for (let i = 0; i < 5; i++) {
      const { value: run, ms } = await within(15_000, suite(s, 'rm -f "$1"; mkfifo "$1"; exit 1'));
      expect(run).toMatchObject({ status: 'failed', cases: null });
      expect(ms).toBeLessThan(15_000);
    }
    // The libuv pool is free: plain file reads on the host still complete.
    await within(
      5_000,
      Promise.all([1, 2, 3, 4, 5, 6].map(() => readFile(join(s!.dir, 'source', 'lib.js')))),
    );
  });

  it('the report as a link to /dev/zero: no memory spike, no hang', async () => {
    s = await stage();
    const before = process.memoryUsage().rss;
    const { value: run } = await within(
      15_000,
      suite(s, 'rm -f "$1"; ln -s /dev/zero "$1"; exit 0'),
    );
    expect(run).toMatchObject({ status: 'passed', cases: null });
    expect(process.memoryUsage().rss - before).toBeLessThan(100 * 1024 * 1024);
  });

  it('a report larger than the cap is not read', async () => {
    s = await stage();
    const run = await suite(
      s,
      `{ printf '<testsuite>'; head -c 9000000 /dev/zero | tr '\\0' ' '; printf '<testcase classname="c" name="t"/></testsuite>'; } > "$1"`,
    );
    expect(run).toMatchObject({ status: 'passed', cases: null });
  });
});

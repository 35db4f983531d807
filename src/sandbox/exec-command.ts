import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import { SandboxError, SandboxSpecError } from '../errors/index.js';
import { OutputCollector } from './output-collector.js';
import type { ExecOptions, ExecResult } from './types.js';

/** Default cap on captured stdout and stderr each, in bytes. */
export const DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024;
/** Extra wall-clock time the in-container `timeout` gets before the host kills the process group, in ms. */
const HOST_GRACE_MS = 5_000;
/** After the host kill, how long to wait for the exec to end before giving up on the container, in ms. */
const GIVE_UP_MS = 15_000;

/**
 * The in-container supervisor (POSIX sh, Debian's dash; argv: nonce, timeout, command...). It runs the
 * command under coreutils `timeout -s KILL`, which puts it in a new process group and kills the whole
 * group when the time is up; records that group's id in /tmp/.tandem/<nonce>.pid so the host can kill it
 * early (abort). When the command ends, whatever it left running in its group is killed too (background
 * jobs, a fork bomb), with the shell's builtin `kill` since forking may be impossible at the pids limit.
 * Last it appends one trailer line to stderr with the cgroup's `oom_kill` counter (cgroup v1
 * `memory.oom_control`, v2 `memory.events`), which tells the host whether the memory limit killed a
 * process during this command. The exit status is the command's (137 when killed).
 */
const SUPERVISOR = `n=$1; t=$2; shift 2
mkdir -p /tmp/.tandem 2>/dev/null
timeout -s KILL "$t" "$@" &
p=$!
echo "$p" > "/tmp/.tandem/$n.pid" 2>/dev/null
wait "$p"; rc=$?
kill -9 -"$p" 2>/dev/null; kill -9 -"$p" 2>/dev/null
o=
for f in /sys/fs/cgroup/memory/memory.oom_control /sys/fs/cgroup/memory.events; do
  if [ -r "$f" ]; then while read -r k v; do [ "$k" = oom_kill ] && o=$v; done < "$f"; break; fi
done
rm -f "/tmp/.tandem/$n.pid" 2>/dev/null
printf '\\n%s oom_kill=%s\\n' "$n" "$o" >&2
exit "$rc"`;

/** What `execCommand` needs from its sandbox. */
export interface ExecContext {
  docker: Docker;
  container: Docker.Container;
  /** `oom_kill` count seen after the previous command (updated in place). */
  oom: { lastCount: number };
  /** Clock in ms (tests may pass a fake); default `Date.now`. */
  now?: () => number;
}

/** Checks argv and options; throws `SandboxSpecError` for what can never run. Returns the cwd. */
function checkCommand(argv: readonly string[], options: ExecOptions): string {
  if (argv.length === 0 || argv.some((a) => typeof a !== 'string' || a.includes('\0'))) {
    throw new SandboxSpecError('argv must be a non-empty array of strings without NUL bytes');
  }
  if (argv[0] === '') {
    throw new SandboxSpecError('argv[0] must name a program');
  }
  if (!Number.isFinite(options.timeoutMs) || options.timeoutMs <= 0) {
    throw new SandboxSpecError(`timeoutMs must be a positive number, not ${options.timeoutMs}`);
  }
  for (const key of Object.keys(options.env ?? {})) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
      throw new SandboxSpecError(`invalid environment variable name: ${JSON.stringify(key)}`);
    }
  }
  const cwd = posix.normalize(options.cwd ?? '/workspace');
  if (cwd !== '/workspace' && !cwd.startsWith('/workspace/')) {
    throw new SandboxSpecError(`cwd must be /workspace or below, not ${JSON.stringify(cwd)}`);
  }
  return cwd;
}

/**
 * Runs argv in a running sandbox container through `docker exec` under the supervisor above, and waits
 * for it. Output is demultiplexed (Docker's 8-byte frame header per chunk) into two collectors capped at
 * `maxOutputBytes` each that keep draining past the cap. A command that outlives `timeoutMs` is killed
 * with its process group in the container (exit 137, `timedOut: true`); the host kills the group itself
 * `HOST_GRACE_MS` later should the supervisor fail, and gives up with `SandboxError` after `GIVE_UP_MS`.
 * Aborting `signal` kills the same way (`timedOut: false`). Infrastructure failures throw `SandboxError`.
 */
export async function execCommand(
  ctx: ExecContext,
  argv: readonly string[],
  options: ExecOptions,
): Promise<ExecResult> {
  const cwd = checkCommand(argv, options);
  const now = ctx.now ?? Date.now;
  const maxOutput = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  const nonce = `tandem-${randomBytes(8).toString('hex')}`;
  const seconds = `${(options.timeoutMs / 1000).toFixed(3)}s`;
  const started = now();
  if (options.signal?.aborted) {
    return aborted(started, now);
  }
  let exec: Docker.Exec;
  let stream: Duplex;
  try {
    ({ exec, stream } = await startExec(ctx, {
      Cmd: ['/bin/sh', '-c', SUPERVISOR, 'tandem-supervisor', nonce, seconds, ...argv],
      AttachStdout: true,
      AttachStderr: true,
      AttachStdin: false,
      Tty: false,
      WorkingDir: cwd,
      Env: Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${v}`),
    }));
  } catch (error) {
    // The engine's message is kept (it names the container state, e.g. "is not running"), never argv or env.
    const reason = error instanceof Error ? error.message : String(error);
    throw new SandboxError(
      `could not start a command in sandbox ${ctx.container.id.slice(0, 12)}: ${reason}`,
      ctx.container.id,
      { cause: error },
    );
  }
  const stdout = new OutputCollector(maxOutput);
  const trailerRoom = nonce.length + 32;
  const stderr = new OutputCollector(maxOutput + trailerRoom, trailerRoom);
  ctx.docker.modem.demuxStream(stream, stdout, stderr);

  let timedOut = false;
  let killed = false;
  const kill = (): void => {
    if (!killed) {
      killed = true;
      killGroup(ctx.container, nonce).catch(() => undefined);
    }
  };
  const onAbort = (): void => kill();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const ended = new Promise<'ended'>((resolve, reject) => {
    stream.once('end', () => resolve('ended'));
    stream.once('close', () => resolve('ended'));
    stream.once('error', reject);
  });
  const timers: NodeJS.Timeout[] = [];
  const giveUp = new Promise<'gave-up'>((resolve) => {
    timers.push(
      setTimeout(() => {
        timedOut = true;
        kill();
      }, options.timeoutMs + HOST_GRACE_MS),
      setTimeout(() => resolve('gave-up'), options.timeoutMs + HOST_GRACE_MS + GIVE_UP_MS),
    );
  });
  let outcome: 'ended' | 'gave-up';
  try {
    outcome = await Promise.race([ended, giveUp]);
  } catch (error) {
    throw new SandboxError('the command stream failed', ctx.container.id, { cause: error });
  } finally {
    timers.forEach(clearTimeout);
    options.signal?.removeEventListener('abort', onAbort);
  }
  const durationMs = now() - started;
  if (outcome === 'gave-up') {
    stream.destroy();
    throw new SandboxError(
      `a command did not end ${GIVE_UP_MS} ms after it was killed; the sandbox is unusable`,
      ctx.container.id,
    );
  }
  const exitCode = await exitCodeOf(exec);
  if (durationMs >= options.timeoutMs && exitCode === 137 && !options.signal?.aborted) {
    timedOut = true;
  }
  return {
    exitCode,
    stdout: stdout.bytes().toString('utf8'),
    ...splitTrailer(stderr, nonce, maxOutput, ctx.oom),
    durationMs,
    timedOut,
    truncated: stdout.truncated || stderrTruncated(stderr, nonce, maxOutput),
  };
}

/** Socket errors that mean a request never reached the engine (a stale or reset connection). */
const NOT_DELIVERED = new Set(['EPIPE', 'ECONNRESET']);
/** Attempts at creating and starting one exec when the engine connection drops before it answers. */
const START_ATTEMPTS = 5;

/**
 * Creates and starts an exec, retrying (up to {@link START_ATTEMPTS}, backing off 100 ms × 2ⁿ) when the request died on
 * the socket with EPIPE/ECONNRESET: a kept-alive connection the engine had already dropped (see
 * `createDockerClient`), so the request was not read and the command did not start. Any other failure,
 * or the last one, is thrown as it is.
 */
async function startExec(
  ctx: ExecContext,
  options: Docker.ExecCreateOptions,
): Promise<{ exec: Docker.Exec; stream: Duplex }> {
  for (let attempt = 1; ; attempt++) {
    try {
      const exec = await ctx.container.exec(options);
      const stream = await exec.start({ hijack: true, stdin: false });
      return { exec, stream };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException | undefined)?.code;
      if (attempt >= START_ATTEMPTS || code === undefined || !NOT_DELIVERED.has(code)) {
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** (attempt - 1)));
    }
  }
}

function aborted(started: number, now: () => number): ExecResult {
  return {
    exitCode: 137,
    stdout: '',
    stderr: '',
    durationMs: now() - started,
    timedOut: false,
    truncated: false,
    oomKilled: false,
  };
}

/** Length in bytes of the supervisor's trailer at the end of stderr, or 0 when it is missing. */
function trailerLength(stderr: OutputCollector, nonce: string): { length: number; count?: number } {
  const tail = stderr.lastBytes().toString('utf8');
  const match = new RegExp(`\\n${nonce} oom_kill=(\\d*)\\n$`).exec(tail);
  if (!match) {
    return { length: 0 };
  }
  const count = match[1] === '' ? undefined : Number(match[1]);
  return { length: Buffer.byteLength(match[0]), ...(count === undefined ? {} : { count }) };
}

function splitTrailer(
  stderr: OutputCollector,
  nonce: string,
  maxOutput: number,
  oom: { lastCount: number },
): { stderr: string; oomKilled: boolean } {
  const trailer = trailerLength(stderr, nonce);
  const contentBytes = stderr.total - trailer.length;
  const kept = stderr.bytes().subarray(0, Math.min(contentBytes, maxOutput));
  let oomKilled = false;
  if (trailer.count !== undefined) {
    oomKilled = trailer.count > oom.lastCount;
    oom.lastCount = trailer.count;
  }
  return { stderr: kept.toString('utf8'), oomKilled };
}

function stderrTruncated(stderr: OutputCollector, nonce: string, maxOutput: number): boolean {
  return stderr.total - trailerLength(stderr, nonce).length > maxOutput;
}

/** Reads the exit code once Docker reports the exec as finished (it can lag the stream end briefly). */
async function exitCodeOf(exec: Docker.Exec): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const info = await exec.inspect();
    if (!info.Running && info.ExitCode !== null) {
      return info.ExitCode;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new SandboxError('the command ended but Docker reports no exit code');
}

/** Kills the process group the supervisor recorded for `nonce`, through a second exec. */
async function killGroup(container: Docker.Container, nonce: string): Promise<void> {
  const script = `for i in 1 2 3 4 5 6 7 8 9 10; do
  if read -r p < "/tmp/.tandem/$1.pid"; then kill -9 -"$p"; exit; fi 2>/dev/null
  sleep 0.1
done`;
  const exec = await container.exec({
    Cmd: ['/bin/sh', '-c', script, 'tandem-kill', nonce],
    AttachStdout: false,
    AttachStderr: false,
  });
  await exec.start({ Detach: true });
}

import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import { SandboxError, SandboxSpecError } from '../errors/index.js';
import { OutputCollector } from './output-collector.js';
import { OutputLines } from './output-lines.js';
import type { ExecOptions, ExecResult } from './types.js';

/** Default cap on captured stdout and stderr each, in bytes. */
export const DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024;
/** Extra wall-clock time the in-container `timeout` gets before the host kills the process group, in ms. */
const HOST_GRACE_MS = 5_000;
/** After the host kill, how long to wait for the exec to end before giving up on the container, in ms. */
const GIVE_UP_MS = 15_000;

/**
 * The in-container supervisor (POSIX sh, Debian's dash; argv: nonce, timeout, file size limit in 512-byte
 * blocks, command...). It runs as the sandbox user, sets the file size limit (`ulimit -f`: no single file
 * may outgrow the workspace limit), and runs the command under coreutils `timeout -s KILL`, which puts it
 * in a new process group and kills the whole group when the time is up; records that group's id in
 * /tmp/.tandem/<nonce>.pid so the host can kill it early (abort). When the command ends, every other
 * process of the sandbox user is killed (`kill -9 -1`: the command's group, and what left it with
 * `setsid`, a double fork or `nohup &`), with the shell's builtin `kill` since forking may be impossible
 * at the pids limit; the container's own processes run as another uid (see `containerOptions`) and stay.
 * It then waits, up to about 2 s, until no live process of the sandbox user but itself is left (zombies
 * are dead already), so nothing a command started can touch the workspace while the host works on it.
 * Last it appends one trailer line to stderr with the number of processes still alive (0), the
 * workspace's disk use in KiB (`du`, at most 10 s; empty when it could not read everything or took
 * longer) and the cgroup's `oom_kill` counter (cgroup v1 `memory.oom_control`, v2 `memory.events`),
 * which tells the host whether the memory limit killed a process during this command. The exit status
 * is the command's (137 when killed). Should the supervisor itself die before its trailer, the host
 * kills every process of the sandbox user through a second exec (`killAll`).
 */
const SUPERVISOR = `n=$1; t=$2; ulimit -f "$3" 2>/dev/null; shift 3
me=
while read -r k v r; do [ "$k" = Uid: ] && me=$v && break; done < /proc/$$/status
mkdir -p /tmp/.tandem 2>/dev/null
timeout -s KILL "$t" "$@" &
p=$!
echo "$p" > "/tmp/.tandem/$n.pid" 2>/dev/null
wait "$p"; rc=$?
kill -9 -"$p" 2>/dev/null; kill -9 -1 2>/dev/null; kill -9 -1 2>/dev/null
i=0
while :; do
  a=0
  for d in /proc/[0-9]*; do
    [ "\${d#/proc/}" = "$$" ] && continue
    s=; u=
    { while read -r k v r; do
        case $k in State:) s=$v ;; Uid:) u=$v; break ;; esac
      done; } 2>/dev/null < "$d/status"
    [ "$u" = "$me" ] && [ "$s" != Z ] && [ "$s" != X ] && a=$((a + 1))
  done
  [ "$a" = 0 ] && break
  i=$((i + 1)); [ "$i" -ge 100 ] && break
  kill -9 -1 2>/dev/null; sleep 0.02
done
w=$(timeout -s KILL 10 du -s -k -x /workspace 2>/dev/null) || w=
w=\${w%%[!0-9]*}
o=
for f in /sys/fs/cgroup/memory/memory.oom_control /sys/fs/cgroup/memory.events; do
  if [ -r "$f" ]; then while read -r k v; do [ "$k" = oom_kill ] && o=$v; done < "$f"; break; fi
done
rm -f "/tmp/.tandem/$n.pid" 2>/dev/null
printf '\\n%s alive=%s disk=%s oom_kill=%s\\n' "$n" "$a" "$w" "$o" >&2
exit "$rc"`;

/** What `execCommand` needs from its sandbox. */
export interface ExecContext {
  docker: Docker;
  container: Docker.Container;
  /** uid and gid the command runs as (never the uid of the container's own processes). */
  user: { uid: number; gid: number };
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

/** What the supervisor's trailer says besides the exit code. */
export interface CommandTrailer {
  /** The workspace's disk use in bytes after the command, as `du` inside the container saw it. */
  workspaceBytes?: number;
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
): Promise<ExecResult & CommandTrailer> {
  const cwd = checkCommand(argv, options);
  const now = ctx.now ?? Date.now;
  const maxOutput = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  const nonce = `tandem-${randomBytes(8).toString('hex')}`;
  const seconds = `${(options.timeoutMs / 1000).toFixed(3)}s`;
  const fileBlocks =
    options.maxWorkspaceBytes === undefined
      ? 'unlimited'
      : String(Math.max(1, Math.ceil(options.maxWorkspaceBytes / 512)));
  const started = now();
  if (options.signal?.aborted) {
    return aborted(started, now);
  }
  let exec: Docker.Exec;
  let stream: Duplex;
  try {
    ({ exec, stream } = await startExec(ctx, {
      Cmd: ['/bin/sh', '-c', SUPERVISOR, 'tandem-supervisor', nonce, seconds, fileBlocks, ...argv],
      User: `${ctx.user.uid}:${ctx.user.gid}`,
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
  const lines = liveLines(options, nonce);
  const stdout = new OutputCollector(maxOutput, 0, lines && ((c) => lines.stdout.push(c)));
  const trailerRoom = nonce.length + 80;
  const stderr = new OutputCollector(
    maxOutput + trailerRoom,
    trailerRoom,
    lines && ((c) => lines.stderr.push(c)),
  );
  ctx.docker.modem.demuxStream(stream, stdout, stderr);

  let timedOut = false;
  let killed = false;
  const kill = (): void => {
    if (!killed) {
      killed = true;
      killGroup(ctx, nonce).catch(() => undefined);
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
    // Our half of the hijacked connection stays open after the engine ended its own (a command
    // killed by an abort leaves it so), and an open socket keeps the process alive after its work.
    stream.destroy();
  }
  const durationMs = now() - started;
  lines?.stdout.end();
  lines?.stderr.end();
  if (outcome === 'gave-up') {
    throw new SandboxError(
      `a command did not end ${GIVE_UP_MS} ms after it was killed; the sandbox is unusable`,
      ctx.container.id,
    );
  }
  const exitCode = await exitCodeOf(exec);
  if (durationMs >= options.timeoutMs && exitCode === 137 && !options.signal?.aborted) {
    timedOut = true;
  }
  const trailer = parseTrailer(stderr, nonce);
  if (trailer.length === 0) {
    // Best effort: a container that is gone has nothing left running either.
    await killAll(ctx).catch(() => undefined);
  }
  if (trailer.alive !== undefined && trailer.alive > 0) {
    throw new SandboxError(
      `${trailer.alive} process(es) of a command survived SIGKILL; the sandbox is unusable`,
      ctx.container.id,
    );
  }
  return {
    exitCode,
    stdout: stdout.bytes().toString('utf8'),
    ...splitTrailer(stderr, trailer, maxOutput, ctx.oom),
    durationMs,
    timedOut,
    truncated: stdout.truncated || stderr.total - trailer.length > maxOutput,
    ...(trailer.diskKib === undefined ? {} : { workspaceBytes: trailer.diskKib * 1024 }),
  };
}

/** Line splitters feeding `options.onOutput`, or undefined when nobody listens. */
function liveLines(
  options: ExecOptions,
  nonce: string,
): { stdout: OutputLines; stderr: OutputLines } | undefined {
  const onOutput = options.onOutput;
  if (!onOutput) {
    return undefined;
  }
  return {
    stdout: new OutputLines((line) => onOutput(line, 'stdout')),
    // The supervisor's trailer is its own business.
    stderr: new OutputLines(
      (line) => onOutput(line, 'stderr'),
      (line) => line.startsWith(`${nonce} alive=`),
    ),
  };
}

/** Socket errors that mean a request never reached the engine (a stale or reset connection). */
const NOT_DELIVERED = new Set(['EPIPE', 'ECONNRESET']);
/**
 * Attempts at creating and starting one exec when the engine connection drops before it answers. Eight
 * (backing off for up to 12.7 s in all): under a full test run on two cores, five attempts within 1.5 s
 * all met a dropped connection once in five CI runs.
 */
const START_ATTEMPTS = 8;

/**
 * Creates and starts an exec (with `stdin`, the returned stream's writable side is the command's
 * stdin), retrying (up to {@link START_ATTEMPTS}, backing off 100 ms × 2ⁿ) when the request died on
 * the socket with EPIPE/ECONNRESET: a kept-alive connection the engine had already dropped (see
 * `createDockerClient`), so the request was not read and the command did not start. Any other failure,
 * or the last one, is thrown as it is.
 */
export async function startExec(
  ctx: Pick<ExecContext, 'container'>,
  options: Docker.ExecCreateOptions,
  stdin = false,
): Promise<{ exec: Docker.Exec; stream: Duplex }> {
  for (let attempt = 1; ; attempt++) {
    try {
      const exec = await ctx.container.exec(options);
      const stream = await exec.start({ hijack: true, stdin });
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

/** The supervisor's trailer at the end of stderr: its length in bytes (0 when missing) and its fields. */
interface Trailer {
  length: number;
  alive?: number;
  diskKib?: number;
  oomCount?: number;
}

function parseTrailer(stderr: OutputCollector, nonce: string): Trailer {
  const tail = stderr.lastBytes().toString('utf8');
  const match = new RegExp(`\\n${nonce} alive=(\\d*) disk=(\\d*) oom_kill=(\\d*)\\n$`).exec(tail);
  if (!match) {
    return { length: 0 };
  }
  const trailer: Trailer = { length: Buffer.byteLength(match[0]) };
  const [alive, disk, oom] = [match[1], match[2], match[3]];
  if (alive) {
    trailer.alive = Number(alive);
  }
  if (disk) {
    trailer.diskKib = Number(disk);
  }
  if (oom) {
    trailer.oomCount = Number(oom);
  }
  return trailer;
}

function splitTrailer(
  stderr: OutputCollector,
  trailer: Trailer,
  maxOutput: number,
  oom: { lastCount: number },
): { stderr: string; oomKilled: boolean } {
  const contentBytes = stderr.total - trailer.length;
  const kept = stderr.bytes().subarray(0, Math.min(contentBytes, maxOutput));
  let oomKilled = false;
  if (trailer.oomCount !== undefined) {
    oomKilled = trailer.oomCount > oom.lastCount;
    oom.lastCount = trailer.oomCount;
  }
  return { stderr: kept.toString('utf8'), oomKilled };
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

/**
 * Kills every process of the sandbox user through a second exec (its shell's `kill -9 -1` spares only
 * itself) and waits for that exec to end. For when the supervisor died before its own clean-up.
 */
async function killAll(ctx: ExecContext): Promise<void> {
  const { stream } = await startExec(ctx, {
    Cmd: ['/bin/sh', '-c', 'kill -9 -1 2>/dev/null; kill -9 -1 2>/dev/null; sleep 0.1; true'],
    User: `${ctx.user.uid}:${ctx.user.gid}`,
    AttachStdout: true,
    AttachStderr: true,
  });
  stream.resume();
  await new Promise<void>((resolve) => {
    stream.once('end', resolve);
    stream.once('close', resolve);
    stream.once('error', () => resolve());
  });
  stream.destroy();
}

/** Kills the process group the supervisor recorded for `nonce`, through a second exec as the same user. */
async function killGroup(ctx: ExecContext, nonce: string): Promise<void> {
  const script = `for i in 1 2 3 4 5 6 7 8 9 10; do
  if read -r p < "/tmp/.tandem/$1.pid"; then kill -9 -"$p"; exit; fi 2>/dev/null
  sleep 0.1
done`;
  const exec = await ctx.container.exec({
    Cmd: ['/bin/sh', '-c', script, 'tandem-kill', nonce],
    User: `${ctx.user.uid}:${ctx.user.gid}`,
    AttachStdout: false,
    AttachStderr: false,
  });
  // Even detached, the engine answers on a stream that stays open: close it, or it keeps the process alive.
  const answer = (await exec.start({ Detach: true })) as unknown as Duplex | undefined;
  answer?.destroy();
}

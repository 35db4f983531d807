/**
 * In-memory fakes of the pair engine's ports, for fast unit specs of the protocol (no Docker, no git):
 * - {@link FakeWorkspace}: a work tree as a map of files with commits as snapshots (git's semantics for
 *   changed files, restore, discard, commit, log and a naive diff);
 * - {@link FakeSandbox}: file access over the same map, and `exec` that runs a JavaScript "suite" over the
 *   files (writing a JUnit report into a real temporary directory, which `runSuite` reads as usual);
 * - {@link FakeModels}: an `AgentModels` that answers from an in-memory script (first unused entry whose
 *   `role`, `step` and `contains` fit) and records every request.
 * The real-sandbox suites (`test/engine/*.spec.ts`) cover what depends on real runners and git.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { afterEach } from 'vitest';
import { join } from 'node:path';
import type {
  AgentModels,
  AliasSettings,
  ModelUsage,
  PairRole,
} from '../../src/agents/agent-models.js';
import type { PairSandbox, PairWorkspace, RunPairOptions } from '../../src/agents/pair-engine.js';
import { createMemoryRunStore } from '../../src/agents/run-store.js';
import type { Ticket } from '../../src/agents/ticket.js';
import { RepoPolicy } from '../../src/config/repo-policy.js';
import { FileToolError } from '../../src/errors/index.js';
import type { ChangedFile, CommitInfo } from '../../src/git/git-workspace.js';
import type { CommitMessage } from '../../src/git/commit-message.js';
import type { ModelRequest, ModelResponse, ToolCall } from '../../src/llm/types.js';
import type { ExecOptions, ExecResult } from '../../src/sandbox/types.js';

type Files = Map<string, string>;

interface FakeCommit {
  sha: string;
  subject: string;
  trailers: Record<string, string> | null;
  tree: Files;
}

/** The work tree and commits of a fake ticket branch. */
export class FakeWorkspace implements PairWorkspace {
  readonly branch = 'tandem/1-fake';
  readonly baseCommit: string;
  readonly commits: FakeCommit[];
  /** Work-tree files (the sandbox writes here too). */
  files: Files;
  /** Nested repositories "removed" before the next read (set by a test). */
  removed: string[] = [];
  /** Heads pushed, in order. */
  readonly pushed: string[] = [];
  /** When set, `push` rejects with it. */
  pushError: Error | null = null;
  /** Milliseconds a push takes (to check that pushes are awaited). */
  pushDelayMs = 0;

  constructor(
    readonly workTree: string,
    initial: Record<string, string>,
  ) {
    const tree = new Map(Object.entries(initial));
    this.baseCommit = 'c0';
    this.commits = [{ sha: 'c0', subject: 'base', trailers: null, tree }];
    this.files = new Map(tree);
  }

  private get tip(): FakeCommit {
    return this.commits.at(-1)!;
  }

  /** The file as committed at HEAD, or undefined. */
  committed(path: string): string | undefined {
    return this.tip.tree.get(path);
  }

  head(): Promise<string> {
    return Promise.resolve(this.tip.sha);
  }

  changedFiles(): Promise<ChangedFile[]> {
    const out: ChangedFile[] = [];
    const tree = this.tip.tree;
    for (const [path, content] of this.files) {
      if (!tree.has(path)) {
        out.push({ path, change: 'added' });
      } else if (tree.get(path) !== content) {
        out.push({ path, change: 'modified' });
      }
    }
    for (const path of tree.keys()) {
      if (!this.files.has(path)) {
        out.push({ path, change: 'deleted' });
      }
    }
    return Promise.resolve(out.sort((a, b) => a.path.localeCompare(b.path)));
  }

  takeRemovedRepositories(): string[] {
    const removed = this.removed;
    this.removed = [];
    return removed;
  }

  restore(paths: readonly string[]): Promise<void> {
    for (const path of paths) {
      const at = this.tip.tree.get(path);
      if (at === undefined) {
        this.files.delete(path);
      } else {
        this.files.set(path, at);
      }
    }
    return Promise.resolve();
  }

  discardChanges(): Promise<void> {
    this.files = new Map(this.tip.tree);
    return Promise.resolve();
  }

  async commit(message: CommitMessage): Promise<string | null> {
    if ((await this.changedFiles()).length === 0) {
      return null;
    }
    const sha = `c${this.commits.length}`;
    this.commits.push({
      sha,
      subject: message.subject,
      trailers: { ...message.trailers },
      tree: new Map(this.files),
    });
    return sha;
  }

  log(from: string, to = 'HEAD'): Promise<CommitInfo[]> {
    const start = this.commits.findIndex((c) => c.sha === from);
    const end =
      to === 'HEAD' ? this.commits.length - 1 : this.commits.findIndex((c) => c.sha === to);
    return Promise.resolve(
      this.commits.slice(start + 1, end + 1).map((c) => ({
        sha: c.sha,
        subject: c.subject,
        trailers: c.trailers as CommitInfo['trailers'],
      })),
    );
  }

  diff(_rev = 'HEAD', maxBytes = 20_000): Promise<string> {
    const parts: string[] = [];
    for (const [path, before] of this.tip.tree) {
      const after = this.files.get(path);
      if (after === before) {
        continue;
      }
      parts.push(`--- a/${path}\n+++ ${after === undefined ? '/dev/null' : `b/${path}`}`);
      parts.push(...before.split('\n').map((l) => `-${l}`));
      parts.push(...(after ?? '').split('\n').map((l) => `+${l}`));
    }
    const out = parts.join('\n');
    return Promise.resolve(out.length > maxBytes ? out.slice(0, maxBytes) : out);
  }

  listFiles(dir = ''): Promise<string[]> {
    return Promise.resolve([...this.files.keys()].filter((p) => p.startsWith(dir)).sort());
  }

  grep(pattern: string, maxResults = 50): Promise<{ path: string; line: number; text: string }[]> {
    const re = new RegExp(pattern);
    const out: { path: string; line: number; text: string }[] = [];
    for (const [path, content] of [...this.files].sort(([a], [b]) => a.localeCompare(b))) {
      content.split('\n').forEach((text, i) => {
        if (re.test(text) && out.length < maxResults) {
          out.push({ path, line: i + 1, text });
        }
      });
    }
    return Promise.resolve(out);
  }

  async push(): Promise<void> {
    if (this.pushDelayMs > 0) {
      await new Promise((resolve) => setTimeout(resolve, this.pushDelayMs));
    }
    if (this.pushError) {
      throw this.pushError;
    }
    this.pushed.push(this.tip.sha);
  }
}

/** One JUnit test case a fake suite reports. */
export interface FakeCase {
  name: string;
  classname?: string;
  outcome: 'passed' | 'failed' | 'error';
  message?: string;
}

/** What a fake suite run answers: exit code, output, and optionally per-test cases (a JUnit report). */
export interface FakeRun {
  exitCode: number;
  output?: string;
  cases?: FakeCase[];
}

/** The fake test runner: a function of the work-tree files. */
export type FakeSuite = (files: ReadonlyMap<string, string>) => FakeRun;

/** The test command the fakes recognise (`{junit}` makes `runSuite` read a report). */
export const FAKE_TEST_COMMAND = ['fake-test', '--junit={junit}'];

const xmlEscape = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A JUnit XML report of `cases`. */
export function junitXml(cases: readonly FakeCase[]): string {
  const body = cases
    .map((c) => {
      const attrs = `classname="${xmlEscape(c.classname ?? '')}" name="${xmlEscape(c.name)}"`;
      if (c.outcome === 'passed') {
        return `<testcase ${attrs}/>`;
      }
      const tag = c.outcome === 'failed' ? 'failure' : 'error';
      return `<testcase ${attrs}><${tag} message="${xmlEscape(c.message ?? '')}">${xmlEscape(c.message ?? '')}</${tag}></testcase>`;
    })
    .join('');
  return `<?xml version="1.0"?><testsuites><testsuite name="fake">${body}</testsuite></testsuites>`;
}

const moduleOf = (path: string): string => path.replace(/\.[^./]+$/, '').replaceAll('/', '.');

/**
 * A pytest-like runner over a tiny test language, one statement per line of each file under `tests/`:
 * - `test NAME: NEEDLE in PATH`: passes when the file PATH contains NEEDLE;
 * - `import SYMBOL from PATH`: the file fails to load unless PATH contains `def SYMBOL`;
 * - `SYNTAX ERROR`: the file fails to load with a syntax error.
 * A file that fails to load is one `<error>` case with an empty classname named after the module (as
 * pytest reports a collection error); exit code 0 (all pass), 1 (a test failed) or 2 (a load failure).
 */
export const miniSuite: FakeSuite = (files) => {
  const cases: FakeCase[] = [];
  const lines: string[] = [];
  for (const [path, content] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
    if (!path.startsWith('tests/')) {
      continue;
    }
    const statements = content.split('\n');
    const loadError = statements
      .map((line) => {
        if (line.trim() === 'SYNTAX ERROR') {
          return `SyntaxError: invalid syntax (${path}, line 1)`;
        }
        const imported = /^import (\w+) from (\S+)$/.exec(line.trim());
        return imported && !files.get(imported[2]!)?.includes(`def ${imported[1]}`)
          ? `ImportError: cannot import name '${imported[1]}' from '${moduleOf(imported[2]!)}'`
          : null;
      })
      .find((e) => e !== null);
    if (loadError) {
      cases.push({ classname: '', name: moduleOf(path), outcome: 'error', message: loadError });
      lines.push(`_ ERROR collecting ${path} _`, `E   ${loadError}`);
      continue;
    }
    for (const line of statements) {
      const test = /^test (\w+): (.+) in (\S+)$/.exec(line.trim());
      if (!test) {
        continue;
      }
      const [, name, needle, target] = test;
      const passed = files.get(target!)?.includes(needle!) ?? false;
      cases.push({
        classname: moduleOf(path),
        name: name!,
        outcome: passed ? 'passed' : 'failed',
        ...(passed ? {} : { message: `AssertionError: ${needle} not in ${target}` }),
      });
      lines.push(`${path}::${name} ${passed ? 'PASSED' : 'FAILED'}`);
    }
  }
  const failed = cases.filter((c) => c.outcome === 'failed').length;
  const errors = cases.filter((c) => c.outcome === 'error').length;
  const passed = cases.length - failed - errors;
  lines.push(`${failed} failed, ${passed} passed, ${errors} errors`);
  let exitCode = failed > 0 ? 1 : 0;
  if (errors > 0) {
    exitCode = 2;
  }
  return { exitCode, output: lines.join('\n'), cases };
};

/** Sandbox over a {@link FakeWorkspace}'s files. */
export class FakeSandbox implements PairSandbox {
  /** Every argv run, in order. */
  readonly commands: string[][] = [];
  chowned = 0;
  /** Answer of non-test commands (the setup command). */
  otherCommand: (argv: readonly string[]) => Partial<ExecResult> = () => ({ exitCode: 0 });

  constructor(
    private readonly workspace: FakeWorkspace,
    public suite: FakeSuite,
  ) {}

  readFile(path: string): Promise<string> {
    const content = this.workspace.files.get(path);
    return content === undefined
      ? Promise.reject(new FileToolError('not_found', path, `${path} does not exist`))
      : Promise.resolve(content);
  }

  writeFile(path: string, content: string): Promise<void> {
    this.workspace.files.set(path, content);
    return Promise.resolve();
  }

  chownWorkspace(): Promise<void> {
    this.chowned += 1;
    return Promise.resolve();
  }

  async exec(argv: readonly string[], options: ExecOptions): Promise<ExecResult> {
    this.commands.push([...argv]);
    options.signal?.throwIfAborted();
    const base: ExecResult = {
      exitCode: 0,
      stdout: '',
      stderr: '',
      durationMs: 5,
      timedOut: false,
      oomKilled: false,
      truncated: false,
    };
    if (!argv.includes(FAKE_TEST_COMMAND[0]!)) {
      return { ...base, ...this.otherCommand(argv) };
    }
    const run = this.suite(this.workspace.files);
    if (run.cases) {
      await mkdir(join(this.workspace.workTree, '.tandem'), { recursive: true });
      await writeFile(join(this.workspace.workTree, '.tandem/junit.xml'), junitXml(run.cases));
    } else {
      await rm(join(this.workspace.workTree, '.tandem/junit.xml'), { force: true });
    }
    return { ...base, exitCode: run.exitCode, stdout: run.output ?? '' };
  }
}

/** One scripted answer of {@link FakeModels}. */
export interface FakeAnswer {
  role?: PairRole;
  /** Equal to `ModelRequest.step` (`red-1`, `green-2`). */
  step?: string;
  /** Substring of the last message. */
  contains?: string;
  toolCalls?: { name: string; arguments: Record<string, unknown> }[];
  text?: string;
}

/** An `AgentModels` answering from a script (see the module comment). */
export class FakeModels implements AgentModels {
  readonly requests: { role: PairRole; alias: string; request: ModelRequest }[] = [];
  private readonly used: boolean[];
  private readonly position: Record<PairRole, number> = { developer: 0, tester: 0 };
  private calls = 0;
  private tokens = { inputTokens: 0, outputTokens: 0 };
  private restored: ModelUsage | null = null;
  /** Usage reported for each call. */
  tokensPerCall = { inputTokens: 100, outputTokens: 10 };
  /** Samples per attempt by alias (`AgentModels.settings`); absent: one. */
  samplesByAlias: Record<string, number> = {};

  constructor(
    private readonly script: FakeAnswer[],
    private readonly chains: Partial<Record<PairRole, string[]>> = {},
  ) {
    this.used = script.map(() => false);
  }

  /** Answers not used yet. */
  get pending(): number {
    return this.used.filter((u) => !u).length;
  }

  alias(role: PairRole): string {
    return this.chains[role]?.[this.position[role]] ?? 'fake';
  }

  complete(role: PairRole, request: ModelRequest): Promise<ModelResponse> {
    this.requests.push({ role, alias: this.alias(role), request });
    const last = request.messages.at(-1)?.content ?? '';
    const at = this.script.findIndex(
      (a, i) =>
        !this.used[i] &&
        (a.role === undefined || a.role === role) &&
        (a.step === undefined || a.step === request.step) &&
        (a.contains === undefined || last.includes(a.contains)),
    );
    if (at < 0) {
      return Promise.reject(new Error(`fake script exhausted for ${role} ${request.step ?? ''}`));
    }
    this.used[at] = true;
    this.calls += 1;
    this.tokens.inputTokens += this.tokensPerCall.inputTokens;
    this.tokens.outputTokens += this.tokensPerCall.outputTokens;
    const answer = this.script[at]!;
    const toolCalls: ToolCall[] = (answer.toolCalls ?? []).map((c, i) => ({
      id: `call_${this.calls}_${i}`,
      ...c,
    }));
    return Promise.resolve({
      text: answer.text ?? '',
      toolCalls,
      reasoning: '',
      usage: { ...this.tokensPerCall },
      latencyMs: 1,
    });
  }

  settings(role: PairRole): AliasSettings {
    const samples = this.samplesByAlias[this.alias(role)];
    return samples === undefined ? {} : { samples };
  }

  escalate(role: PairRole): string | null {
    const chain = this.chains[role] ?? ['fake'];
    if (this.position[role] + 1 >= chain.length) {
      return null;
    }
    this.position[role] += 1;
    return this.alias(role);
  }

  usage(): ModelUsage {
    const before = this.restored;
    return {
      inputTokens: (before?.inputTokens ?? 0) + this.tokens.inputTokens,
      outputTokens: (before?.outputTokens ?? 0) + this.tokens.outputTokens,
      costUsd: 0,
      latencyMs: this.calls,
      byRole: before?.byRole ?? {},
    };
  }

  restoreUsage(usage: ModelUsage): void {
    this.restored = structuredClone(usage);
  }
}

/** Everything a fake run needs, and the options to pass to `runPair`. */
export interface FakePair {
  workspace: FakeWorkspace;
  sandbox: FakeSandbox;
  models: FakeModels;
  store: ReturnType<typeof createMemoryRunStore>;
  options: RunPairOptions;
  close(): Promise<void>;
}

/** Options of {@link fakePair}. */
export interface FakePairOptions {
  files: Record<string, string>;
  suite: FakeSuite;
  script: FakeAnswer[];
  ticket?: Partial<Ticket>;
  /** Policy changes (the base: test command {@link FAKE_TEST_COMMAND}, test globs `tests/**`). */
  policy?: Record<string, unknown>;
  chains?: Partial<Record<PairRole, string[]>>;
}

/** A fake workspace, sandbox, models and memory store over a temporary work-tree directory. */
export async function fakePair(o: FakePairOptions): Promise<FakePair> {
  const workTree = await mkdtemp(join(tmpdir(), 'tandem-fake-pair-'));
  const workspace = new FakeWorkspace(workTree, o.files);
  const sandbox = new FakeSandbox(workspace, o.suite);
  const models = new FakeModels(o.script, o.chains);
  const store = createMemoryRunStore();
  const policy = RepoPolicy.parse({
    ...o.policy,
    sandbox: {
      test: FAKE_TEST_COMMAND,
      testGlobs: ['tests/**'],
      ...((o.policy?.sandbox as Record<string, unknown> | undefined) ?? {}),
    },
  });
  const ticket: Ticket = {
    id: 1,
    title: 'Fake ticket',
    description: '',
    acceptanceCriteria: ['mul(a, b) returns the product'],
    ...o.ticket,
  };
  return {
    workspace,
    sandbox,
    models,
    store,
    options: { ticket, policy, models, store, jobId: 'job-1', workspace, sandbox },
    close: () => rm(workTree, { recursive: true, force: true }),
  };
}

/** The calculator the fake specs work on: `add` only, and its test in the mini suite's language. */
export const CALC = 'def add(a, b):\n    return a + b\n';
/** The calculator with `mul`. */
export const CALC_MUL = `${CALC}\ndef mul(a, b):\n    return a * b\n`;
/** A test that wants `mul` to multiply. */
export const TEST_MUL = 'test test_mul: return a * b in calc.py\n';

/** A scripted answer that writes a file. */
export const write = (path: string, content: string): Pick<FakeAnswer, 'toolCalls'> => ({
  toolCalls: [{ name: 'write_file', arguments: { path, content } }],
});

/** A scripted answer that finishes the phase with `args`. */
export const finish = (args: Record<string, unknown>): Pick<FakeAnswer, 'toolCalls'> => ({
  toolCalls: [{ name: 'finish', arguments: args }],
});

/**
 * A spec file's fake pairs over the calculator: `setUp(script, extra)` makes one (see {@link calcPair}),
 * closed after each test.
 */
export function calcPairs(): (
  script: FakeAnswer[],
  extra?: Partial<FakePairOptions>,
) => Promise<FakePair> {
  let pair: FakePair | undefined;
  afterEach(async () => {
    await pair?.close();
    pair = undefined;
  });
  return async (script, extra = {}) => {
    pair = await calcPair(script, extra);
    return pair;
  };
}

/** A fake pair over the calculator with the mini suite; the caller closes it. */
export function calcPair(
  script: FakeAnswer[],
  extra: Partial<FakePairOptions> = {},
): Promise<FakePair> {
  return fakePair({
    files: { 'calc.py': CALC, 'tests/test_add.t': 'test test_add: def add in calc.py\n' },
    suite: miniSuite,
    script,
    ...extra,
  });
}

/** The data of the events of `kind` a fake run recorded, in order. */
export const eventsOfKind = (p: FakePair, kind: string): Record<string, unknown>[] =>
  p.store.events.filter((e) => e.kind === kind).map((e) => e.data);

/**
 * What the pair agents' tools act on, what they answer, and the shape every tool has. A tool reports a
 * failure the agent can act on inside its result (`{ ok: false, error: { type, message } }`); only
 * infrastructure failures (Docker, git, the database, a workspace over its disk limit) throw.
 */
import { z } from 'zod';
import type { MemoryKind } from '../../memory/memory-types.js';
import type { ExecResult } from '../../sandbox/types.js';
import type { PairRole } from '../agent-models.js';
import type { SuiteRun } from '../run-suite.js';

/** Options of one command a tool runs in the sandbox. */
export interface ToolCommandOptions {
  /** Wall-clock limit in ms. */
  timeoutMs: number;
  /** Cap on captured stdout and stderr each, in bytes. */
  maxOutputBytes: number;
}

/** What the tools act on: the sandbox's confined file access, the test runner and the role's limits. */
export interface ToolContext {
  role: PairRole;
  /** The policy's `sandbox.testGlobs`: which files are tests (the role boundary). */
  testGlobs: readonly string[];
  /**
   * Globs no agent may change on top of the built-in protected paths (the operator's
   * `TANDEM_PROTECTED_PATHS`); the edit tools refuse them up front.
   */
  protectedPaths?: readonly string[];
  /** The sandbox's confined file access (`WorkspaceFiles` rules: no `..`, no links out, size caps). */
  files: {
    readFile(path: string): Promise<string>;
    writeFile(path: string, content: string): Promise<void>;
  };
  /** Files git would track under `dir` (tracked and untracked, not ignored), sorted, `/` separators. */
  listFiles(dir?: string): Promise<string[]>;
  /** Not used by the tools any more (`search` reads through `files`); kept so existing callers compile. */
  grep?(
    pattern: string,
    maxResults?: number,
  ): Promise<{ path: string; line: number; text: string }[]>;
  /** The ranked repository map. */
  repoMap(): Promise<string>;
  /**
   * Runs the suite: the policy's test command, or `argv` instead when given (a filtered run). A caller
   * that honours `argv` says so by setting {@link ToolContext.testCommand}; without it `run_tests`
   * refuses filters rather than silently running everything.
   */
  runTests(options?: { argv?: readonly string[] }): Promise<SuiteRun>;
  /** The policy's `sandbox.test` argv, for building filtered runs (see `runTests`). */
  testCommand?: readonly string[];
  /**
   * Runs argv in the sandbox (no network; the caller adds its abort signal and disk limit). Absent:
   * `run_command` answers that it is not available.
   */
  runCommand?(argv: readonly string[], options: ToolCommandOptions): Promise<ExecResult>;
  /** Longest a `run_command` may run, in ms (the policy's `commandTimeoutSeconds`; default 120 s). */
  commandTimeoutMs?: number;
  /**
   * Searches project memory for `search_memory` / `search_code` (`src/memory/recall.ts`,
   * `memoryToolSearch`): the matches rendered with their provenance. Absent: the run has no project
   * memory and those tools are not offered.
   */
  searchMemory?: MemorySearch;
}

/** The search behind the memory tools: `limit` results at most, of `kind` when given. */
export type MemorySearch = (request: {
  query: string;
  kind?: MemoryKind;
  limit: number;
}) => Promise<{ results: string; count: number }>;

/** A tool's answer, serialised as the `tool` message content. */
export type ToolResult =
  { ok: true; [key: string]: unknown } | { ok: false; error: { type: string; message: string } };

/** One tool: its name, description and argument schema for the model, and what it does. */
export interface AgentTool {
  name: string;
  /** The description sent to the model (may differ per role, e.g. what it may edit). */
  description(role: PairRole): string;
  /** JSON schema of the arguments, as the model sees it. */
  parameters: Record<string, unknown>;
  /** Parses the arguments (throwing `ZodError` when they do not fit) and runs the tool. */
  run(args: unknown, ctx: ToolContext): Promise<ToolResult>;
}

/** A failure the agent can act on. */
export function fail(type: string, message: string): ToolResult {
  return { ok: false, error: { type, message } };
}

/**
 * Declares a tool: the argument type is inferred from the zod schema, which is also the one source of the
 * JSON schema the model sees (its input side: coerced numbers read as numbers).
 */
export function defineTool<S extends z.ZodType>(tool: {
  name: string;
  description: string | ((role: PairRole) => string);
  args: S;
  run(args: z.output<S>, ctx: ToolContext): Promise<ToolResult>;
}): AgentTool {
  const { description } = tool;
  const parameters = z.toJSONSchema(tool.args, {
    io: 'input',
    // Sent with every request: bounds the model needs no hint for (safe-integer maxima, non-empty
    // strings) only cost tokens; the schema still enforces them.
    override: ({ jsonSchema }) => {
      if (jsonSchema.maximum === Number.MAX_SAFE_INTEGER) {
        delete jsonSchema.maximum;
      }
      if (jsonSchema.minLength === 1) {
        delete jsonSchema.minLength;
      }
    },
  }) as Record<string, unknown>;
  delete parameters.$schema;
  return {
    name: tool.name,
    description: typeof description === 'string' ? () => description : description,
    parameters,
    run: (args, ctx) => tool.run(tool.args.parse(args), ctx),
  };
}

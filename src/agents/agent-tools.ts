/**
 * The tools a pair agent may call, and their executor. A tool reports failure inside its result
 * (`{ ok: false, error: { type, message } }`) so the agent can react; only infrastructure failures throw.
 */
import { posix } from 'node:path';
import { z } from 'zod';
import { FileToolError, WorkspaceEscapeError } from '../errors/index.js';
import type { ToolCall, ToolDefinition } from '../llm/types.js';
import type { PairRole } from './agent-models.js';
import { mayWrite } from './file-boundary.js';
import { summarizeRun, type SuiteRun } from './run-suite.js';

/** What the tools act on. `files` is the sandbox's confined file access. */
export interface ToolContext {
  role: PairRole;
  testGlobs: readonly string[];
  files: {
    readFile(path: string): Promise<string>;
    writeFile(path: string, content: string): Promise<void>;
  };
  listFiles(dir?: string): Promise<string[]>;
  grep(
    pattern: string,
    maxResults?: number,
  ): Promise<{ path: string; line: number; text: string }[]>;
  repoMap(): Promise<string>;
  runTests(): Promise<SuiteRun>;
}

/** A tool's answer, serialised as the `tool` message content. */
export type ToolResult =
  { ok: true; [key: string]: unknown } | { ok: false; error: { type: string; message: string } };

const MAX_READ_CHARS = 20_000;

const PathArgs = z.object({ path: z.string().min(1) });
const WriteArgs = z.object({ path: z.string().min(1), content: z.string() });
const ListArgs = z.object({ dir: z.string().optional() });
const SearchArgs = z.object({ pattern: z.string().min(1) });

/** Definitions sent to the model; `finish` takes the phase's result schema. */
export function toolDefinitions(
  role: PairRole,
  finishSchema: Record<string, unknown>,
): ToolDefinition[] {
  const str = { type: 'string' };
  const writeWhat =
    role === 'tester'
      ? 'Only test files (matching the repository test globs) may be written.'
      : 'Test files may not be written.';
  return [
    {
      name: 'read_file',
      description: 'Read a file of the repository (relative path).',
      parameters: { type: 'object', properties: { path: str }, required: ['path'] },
    },
    {
      name: 'list_files',
      description: 'List the files of the repository, optionally under a directory.',
      parameters: { type: 'object', properties: { dir: str } },
    },
    {
      name: 'search',
      description: 'Search file contents with an extended regular expression (git grep).',
      parameters: { type: 'object', properties: { pattern: str }, required: ['pattern'] },
    },
    {
      name: 'repo_map',
      description: 'The file tree with the top-level symbols of each source file.',
      parameters: { type: 'object', properties: {} },
    },
    {
      name: 'write_file',
      description: `Create or replace a file with the given content. ${writeWhat}`,
      parameters: {
        type: 'object',
        properties: { path: str, content: str },
        required: ['path', 'content'],
      },
    },
    {
      name: 'run_tests',
      description: 'Run the whole test suite in the sandbox; returns the outcome and output.',
      parameters: { type: 'object', properties: {} },
    },
    {
      name: 'finish',
      description: 'End this phase with its result.',
      parameters: finishSchema,
    },
  ];
}

const fail = (type: string, message: string): ToolResult => ({
  ok: false,
  error: { type, message },
});

/**
 * Executes one non-`finish` tool call. Errors the agent can fix (bad arguments, forbidden paths, missing
 * files, paths outside the workspace) come back as `{ ok: false }`.
 */
export async function executeTool(call: ToolCall, ctx: ToolContext): Promise<ToolResult> {
  try {
    switch (call.name) {
      case 'read_file': {
        const args = PathArgs.parse(call.arguments);
        const content = await ctx.files.readFile(args.path);
        return content.length > MAX_READ_CHARS
          ? { ok: true, content: content.slice(0, MAX_READ_CHARS), truncated: true }
          : { ok: true, content };
      }
      case 'list_files': {
        const args = ListArgs.parse(call.arguments);
        const files = await ctx.listFiles(args.dir);
        return { ok: true, files: files.slice(0, 500), total: files.length };
      }
      case 'search': {
        const args = SearchArgs.parse(call.arguments);
        return { ok: true, matches: await ctx.grep(args.pattern, 50) };
      }
      case 'repo_map':
        return { ok: true, map: await ctx.repoMap() };
      case 'write_file': {
        const args = WriteArgs.parse(call.arguments);
        // Checked in the form git reports it, so `tests//x` or `src/../tests/x` cannot dodge the globs.
        const path = normalizeRelative(args.path);
        if (!mayWrite(ctx.role, path, ctx.testGlobs)) {
          return fail(
            'forbidden',
            ctx.role === 'tester'
              ? `${path} is not a test file; the tester writes tests only`
              : `${path} is a test file; the developer never changes tests`,
          );
        }
        await ctx.files.writeFile(path, args.content);
        return { ok: true, written: path, bytes: Buffer.byteLength(args.content) };
      }
      case 'run_tests': {
        const run = await ctx.runTests();
        return {
          ok: true,
          status: run.status,
          summary: summarizeRun(run).text,
          ...(run.reason ? { reason: run.reason } : {}),
          failing: (run.cases ?? [])
            .filter((c) => c.outcome === 'failed' || c.outcome === 'error')
            .map((c) => ({ test: c.id, message: c.message ?? '' }))
            .slice(0, 20),
          output: run.output.slice(-3_000),
        };
      }
      default:
        return fail('unknown_tool', `no tool named ${call.name}`);
    }
  } catch (error) {
    if (error instanceof z.ZodError) {
      return fail('invalid_arguments', z.prettifyError(error));
    }
    // The sandbox's file tools report what the agent can fix with these two classes; anything else
    // (Docker, git, the database) is an infrastructure failure and ends the run.
    if (error instanceof WorkspaceEscapeError || error instanceof FileToolError) {
      return fail(error.type, error.message);
    }
    throw error;
  }
}

/**
 * A repository-relative path in git's form: `\\` as `/`, `.` and `..` segments and repeated slashes
 * resolved, no leading `./`. A path that leaves the root keeps its leading `..` (the sandbox refuses it).
 */
export function normalizeRelative(path: string): string {
  const normal = posix.normalize(path.replaceAll('\\', '/'));
  return normal === '.' ? '' : normal.replace(/^\.\//, '').replace(/\/$/, '');
}

/**
 * The tools a pair agent may call (one file each under `tools/`), their definitions for the model and
 * their executor. A tool reports failure inside its result (`{ ok: false, error: { type, message } }`) so
 * the agent can react; only infrastructure failures throw. docs/pair-protocol.md, "Tools", describes them.
 */
import { z } from 'zod';
import { FileToolError, WorkspaceEscapeError } from '../errors/index.js';
import type { ToolCall, ToolDefinition } from '../llm/types.js';
import type { PairRole } from './agent-models.js';
import { createFile } from './tools/create-file.js';
import { findFile } from './tools/find-file.js';
import { insertLines } from './tools/insert-lines.js';
import { listFiles } from './tools/list-files.js';
import { repoMapTool } from './tools/repo-map-tool.js';
import { replaceLines } from './tools/replace-lines.js';
import { runCommand } from './tools/run-command.js';
import { runTests } from './tools/run-tests.js';
import { searchFiles } from './tools/search-files.js';
import { searchCode, searchMemory } from './tools/search-memory.js';
import { strReplace } from './tools/str-replace.js';
import { symbols } from './tools/symbols.js';
import { fail, type AgentTool, type ToolContext, type ToolResult } from './tools/tool-context.js';
import { viewFile } from './tools/view-file.js';

export { normalizeRelative } from './tools/edit-guard.js';
export type {
  MemorySearch,
  ToolCommandOptions,
  ToolContext,
  ToolResult,
} from './tools/tool-context.js';

/** Every tool, in the order the model sees them (reading first, then editing, then running). */
export const TOOLS: readonly AgentTool[] = [
  viewFile,
  findFile,
  searchFiles,
  symbols,
  listFiles,
  repoMapTool,
  strReplace,
  insertLines,
  replaceLines,
  createFile,
  runTests,
  runCommand,
];

/** The project memory tools, offered after the reading tools when the run has project memory. */
export const MEMORY_TOOLS: readonly AgentTool[] = [searchMemory, searchCode];

/** The tools of a run: {@link TOOLS}, with {@link MEMORY_TOOLS} after the reading ones when `memory`. */
export function toolsOf(memory: boolean): readonly AgentTool[] {
  if (!memory) {
    return TOOLS;
  }
  const at = TOOLS.indexOf(repoMapTool) + 1;
  return [...TOOLS.slice(0, at), ...MEMORY_TOOLS, ...TOOLS.slice(at)];
}

/**
 * Names models trained on other scaffolds call, mapped to a tool and its arguments: `read_file` is
 * `view_file`; `write_file` is `create_file` with `overwrite` (a whole-file write, as it always was).
 * Not offered to the model; an agent loop that checks names against the definitions must accept these
 * too for them to arrive here.
 */
export const TOOL_ALIASES: Readonly<
  Record<
    string,
    { tool: string; arguments?: (args: Record<string, unknown>) => Record<string, unknown> }
  >
> = {
  read_file: { tool: 'view_file' },
  write_file: { tool: 'create_file', arguments: (args) => ({ ...args, overwrite: true }) },
};

/**
 * Definitions sent to the model; `finish` takes the phase's result schema. `memory`: the run has project
 * memory, so `search_memory` and `search_code` are offered too.
 */
export function toolDefinitions(
  role: PairRole,
  finishSchema: Record<string, unknown>,
  memory = false,
): ToolDefinition[] {
  return [
    ...toolsOf(memory).map((tool) => ({
      name: tool.name,
      description: tool.description(role),
      parameters: tool.parameters,
    })),
    {
      name: 'finish',
      description: 'End this phase with its result.',
      parameters: finishSchema,
    },
  ];
}

/**
 * Executes one non-`finish` tool call. Errors the agent can fix (bad arguments, forbidden paths, missing
 * files, paths outside the workspace, edits that do not match) come back as `{ ok: false }`; anything
 * else (Docker, git, the database, a workspace over its disk limit) throws.
 */
export async function executeTool(call: ToolCall, ctx: ToolContext): Promise<ToolResult> {
  const alias = TOOL_ALIASES[call.name];
  const name = alias?.tool ?? call.name;
  const args = alias?.arguments ? alias.arguments(call.arguments) : call.arguments;
  const tool = toolsOf(ctx.searchMemory !== undefined).find((t) => t.name === name);
  if (!tool) {
    return fail('unknown_tool', `no tool named ${call.name}`);
  }
  try {
    return await tool.run(args, ctx);
  } catch (error) {
    if (error instanceof z.ZodError) {
      return fail('invalid_arguments', z.prettifyError(error));
    }
    // The sandbox's file tools report what the agent can fix with these two classes; anything else
    // is an infrastructure failure and ends the run.
    if (error instanceof WorkspaceEscapeError || error instanceof FileToolError) {
      return fail(error.type, error.message);
    }
    throw error;
  }
}

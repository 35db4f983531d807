/** Reading a workspace file for a tool, refusing binary content with a failure the agent can act on. */
import { FileToolError, WorkspaceEscapeError } from '../../errors/index.js';
import { fail, type ToolContext, type ToolResult } from './tool-context.js';
import { looksBinary } from './text-lines.js';

/** The file's text, or the failure to answer with (binary content). Sandbox file errors propagate. */
export async function readTextFile(
  ctx: ToolContext,
  path: string,
): Promise<{ text: string } | { refused: ToolResult }> {
  const text = await ctx.files.readFile(path);
  if (looksBinary(text)) {
    return {
      refused: fail('binary_file', `${path} is a binary file; the file tools read text only`),
    };
  }
  return { text };
}

/**
 * The file's text, or undefined for a file a scan over many files skips: gone, too large, not a regular
 * file, a link leading out, or binary. Other errors (infrastructure) propagate.
 */
export async function readIfText(ctx: ToolContext, path: string): Promise<string | undefined> {
  try {
    const text = await ctx.files.readFile(path);
    return looksBinary(text) ? undefined : text;
  } catch (error) {
    if (error instanceof FileToolError || error instanceof WorkspaceEscapeError) {
      return undefined;
    }
    throw error;
  }
}

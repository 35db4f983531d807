/**
 * The checks every edit tool makes before it writes: the path in git's form, the role boundary (the
 * Tester changes test files only, the Developer never a test file) and the protected paths (CI, policy,
 * CODEOWNERS, `.gitmodules`, `.gitattributes`, the operator's globs). Refusing here, with the reason,
 * saves the agent a phase whose work would be reverted afterwards; the engine's check after the phase
 * stays as the backstop for changes made by commands.
 */
import { posix } from 'node:path';
import { isProtectedPath, mayWrite } from '../file-boundary.js';
import type { PairRole } from '../agent-models.js';
import { readTextFile } from './read-text-file.js';
import { fail, type ToolContext, type ToolResult } from './tool-context.js';

/**
 * A repository-relative path in git's form: `\\` as `/`, `.` and `..` segments and repeated slashes
 * resolved, no leading `./`. A path that leaves the root keeps its leading `..` (the sandbox refuses it).
 */
export function normalizeRelative(path: string): string {
  const normal = posix.normalize(path.replaceAll('\\', '/'));
  return normal === '.' ? '' : normal.replace(/^\.\//, '').replace(/\/$/, '');
}

/** The normalised path when `ctx.role` may change it, else the refusal to answer with. */
export function writablePath(
  ctx: ToolContext,
  path: string,
): { path: string } | { refused: ToolResult } {
  // Checked in the form git reports it, so `tests//x` or `src/../tests/x` cannot dodge the globs.
  const normal = normalizeRelative(path);
  if (isProtectedPath(normal, ctx.protectedPaths)) {
    return {
      refused: fail(
        'protected_path',
        `${normal} is protected: no agent changes CI workflows, Tandem's policy, CODEOWNERS, .gitmodules or .gitattributes`,
      ),
    };
  }
  if (!mayWrite(ctx.role, normal, ctx.testGlobs)) {
    return {
      refused: fail(
        'forbidden',
        ctx.role === 'tester'
          ? `${normal} is not a test file; the tester writes tests only (test files match ${ctx.testGlobs.join(', ')})`
          : `${normal} is a test file; the developer never changes tests`,
      ),
    };
  }
  return { path: normal };
}

/**
 * The checks of {@link writablePath}, then the file's current text: what every tool that changes part
 * of a file starts with. Sandbox file errors (missing, too large, outside) propagate.
 */
export async function openForEdit(
  ctx: ToolContext,
  path: string,
): Promise<{ path: string; text: string } | { refused: ToolResult }> {
  const target = writablePath(ctx, path);
  if ('refused' in target) {
    return target;
  }
  const read = await readTextFile(ctx, target.path);
  return 'refused' in read ? read : { path: target.path, text: read.text };
}

/** The sentence an edit tool's description ends with: what the role may change. */
export function boundaryNote(role: PairRole, verb = 'changed'): string {
  return role === 'tester' ? `Only test files may be ${verb}.` : `Test files may not be ${verb}.`;
}

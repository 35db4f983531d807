/**
 * A `ToolContext` over a real temporary workspace for tool specs: the sandbox's confined file access
 * (`WorkspaceFiles`) for reads, writes and listings; test runs and commands fail unless a test gives them.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { PairRole } from '../../src/agents/agent-models.js';
import type { ToolContext } from '../../src/agents/agent-tools.js';
import { WorkspaceFiles } from '../../src/sandbox/workspace-files.js';

/** A temporary workspace with `files` (path → content) and a context over it. */
export interface ToolWorkspace {
  dir: string;
  context(role: PairRole, overrides?: Partial<ToolContext>): Promise<ToolContext>;
  remove(): Promise<void>;
}

/** Makes the workspace; call `remove()` after the test. */
export async function toolWorkspace(files: Record<string, string>): Promise<ToolWorkspace> {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-tools-'));
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  return {
    dir,
    async context(role, overrides = {}) {
      const workspace = await WorkspaceFiles.open(dir);
      return {
        role,
        testGlobs: ['tests/**'],
        files: workspace,
        listFiles: (sub) => workspace.list(sub ?? ''),
        repoMap: () => Promise.resolve(''),
        runTests: () => Promise.reject(new Error('runTests is not part of this test')),
        ...overrides,
      };
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** A tool call as the agent loop hands it over. */
export const call = (name: string, args: Record<string, unknown>) => ({
  id: 'c1',
  name,
  arguments: args,
});

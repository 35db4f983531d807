/**
 * `npm run bench -- tools`: the agent tools and the repo map on a real package (ajv 8.17.1, 466 files,
 * `test/fixtures/repo-map/`): the ranked map's build time at 1,024 tokens (first call loads the grammars),
 * and the time of a `search`, a `symbols` lookup and a `view_file` over the confined file access.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { executeTool, toolDefinitions, type ToolContext } from '../../src/agents/agent-tools.js';
import { buildRepoMap, estimateTokens } from '../../src/agents/repo-map.js';
import { WorkspaceFiles } from '../../src/sandbox/workspace-files.js';

const run = promisify(execFile);

async function timed<T>(f: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await f();
  return { value, ms: Math.round(performance.now() - start) };
}

export default async function bench(): Promise<Record<string, unknown>> {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-bench-tools-'));
  try {
    await run('tar', ['-xzf', 'test/fixtures/repo-map/ajv-8.17.1.tgz', '-C', dir]);
    const files = await WorkspaceFiles.open(join(dir, 'package'));
    const list = await files.list();
    const read = (p: string) => files.readFile(p);
    const first = await timed(() => buildRepoMap(list, read, { maxTokens: 1_024 }));
    const second = await timed(() =>
      buildRepoMap(list, read, {
        maxTokens: 1_024,
        focus: {
          text: 'discriminator mapping',
          files: ['lib/vocabularies/discriminator/index.ts'],
        },
      }),
    );
    const ctx: ToolContext = {
      role: 'developer',
      testGlobs: ['spec/**'],
      files,
      listFiles: (sub) => files.list(sub ?? ''),
      repoMap: () => Promise.resolve(''),
      runTests: () => Promise.reject(new Error('not benchmarked')),
    };
    const call = (name: string, args: Record<string, unknown>) =>
      timed(() => executeTool({ id: 'b', name, arguments: args }, ctx));
    const search = await call('search', { pattern: 'discriminator' });
    const symbols = await call('symbols', { name: 'KeywordCxt' });
    const view = await call('view_file', {
      path: 'lib/compile/validate/index.ts',
      start_line: 300,
    });
    return {
      files: list.length,
      repoMapFirstMs: first.ms,
      repoMapFocusedMs: second.ms,
      repoMapTokens: estimateTokens(second.value),
      searchMs: search.ms,
      symbolsMs: symbols.ms,
      viewFileMs: view.ms,
      toolDefinitionChars: JSON.stringify(toolDefinitions('developer', {})).length,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

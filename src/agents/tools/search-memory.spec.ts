import { afterEach, describe, expect, it } from 'vitest';
import { call, toolWorkspace, type ToolWorkspace } from '../../../test/helpers/tool-context.js';
import { executeTool, toolDefinitions } from '../agent-tools.js';
import type { MemorySearch } from './tool-context.js';

let ws: ToolWorkspace | undefined;
afterEach(async () => {
  await ws?.remove();
  ws = undefined;
});

/** A memory search that records what it was asked. */
function recordingSearch(): { search: MemorySearch; asked: Parameters<MemorySearch>[0][] } {
  const asked: Parameters<MemorySearch>[0][] = [];
  return {
    asked,
    search: (request) => {
      asked.push(request);
      return Promise.resolve({ results: `## Memories\n- hit for ${request.query}`, count: 1 });
    },
  };
}

describe('search_memory and search_code', () => {
  it('are offered only when the run has project memory, after the reading tools', () => {
    const names = (memory: boolean) =>
      toolDefinitions('developer', { type: 'object' }, memory).map((t) => t.name);
    expect(names(false)).not.toContain('search_memory');
    expect(names(false)).not.toContain('search_code');
    const withMemory = names(true);
    expect(withMemory.indexOf('search_memory')).toBe(withMemory.indexOf('repo_map') + 1);
    expect(withMemory.indexOf('search_code')).toBe(withMemory.indexOf('repo_map') + 2);
    expect(withMemory.at(-1)).toBe('finish');
  });

  it('search through the run’s memory: search_code only code, five results unless asked', async () => {
    ws = await toolWorkspace({ 'src/a.ts': 'export const a = 1;\n' });
    const { search, asked } = recordingSearch();
    const ctx = { ...(await ws.context('developer')), searchMemory: search };
    expect(await executeTool(call('search_memory', { query: 'why blocked' }), ctx)).toEqual({
      ok: true,
      count: 1,
      results: '## Memories\n- hit for why blocked',
    });
    await executeTool(call('search_memory', { query: 'review', kind: 'review', limit: 2 }), ctx);
    await executeTool(call('search_code', { query: 'parse rows' }), ctx);
    expect(asked).toEqual([
      { query: 'why blocked', limit: 5 },
      { query: 'review', kind: 'review', limit: 2 },
      { query: 'parse rows', kind: 'code', limit: 5 },
    ]);
  });

  it('answers bad arguments for the model to fix, and is unknown without memory', async () => {
    ws = await toolWorkspace({ 'src/a.ts': 'export const a = 1;\n' });
    const { search, asked } = recordingSearch();
    const ctx = await ws.context('developer');
    const bad = await executeTool(call('search_memory', { query: '  ', kind: 'gossip' }), {
      ...ctx,
      searchMemory: search,
    });
    expect(bad).toMatchObject({ ok: false, error: { type: 'invalid_arguments' } });
    expect(asked).toEqual([]);
    expect(await executeTool(call('search_code', { query: 'x' }), ctx)).toMatchObject({
      ok: false,
      error: { type: 'unknown_tool' },
    });
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { call, toolWorkspace, type ToolWorkspace } from '../../../test/helpers/tool-context.js';
import { executeTool } from '../agent-tools.js';

let ws: ToolWorkspace;
afterEach(() => ws.remove());

const numbered = (from: number, to: number) =>
  Array.from(
    { length: to - from + 1 },
    (_, i) => `${String(from + i).padStart(4)}\tline ${from + i}`,
  ).join('\n');

describe('view_file', () => {
  it('shows a window of 100 numbered lines, says how many there are and how to see more', async () => {
    ws = await toolWorkspace({
      'a.txt': Array.from({ length: 250 }, (_, i) => `line ${i + 1}`).join('\n') + '\n',
    });
    const ctx = await ws.context('developer');
    expect(await executeTool(call('view_file', { path: 'a.txt' }), ctx)).toEqual({
      ok: true,
      path: 'a.txt',
      total_lines: 250,
      shown: '1-100',
      content: numbered(1, 100),
      note: '150 lines below not shown: call view_file with start_line=101 to continue.',
    });
    expect(
      await executeTool(
        call('view_file', { path: 'a.txt', start_line: '241', end_line: 300 }),
        ctx,
      ),
    ).toEqual({
      ok: true,
      path: 'a.txt',
      total_lines: 250,
      shown: '241-250',
      content: numbered(241, 250),
      note: '240 lines above not shown.',
    });
  });

  it('cuts a long line with a marker and ends a window early rather than cut it silently', async () => {
    const long = 'x'.repeat(1_200);
    ws = await toolWorkspace({
      'min.js': `${long}\n`,
      'wide.txt': Array.from({ length: 100 }, () => 'y'.repeat(400)).join('\n'),
    });
    const ctx = await ws.context('developer');
    const min = await executeTool(call('view_file', { path: 'min.js' }), ctx);
    expect(min).toMatchObject({ ok: true, total_lines: 1 });
    expect(String(min.ok && min.content)).toBe(
      `   1\t${'x'.repeat(500)}… [line cut: 700 more characters]`,
    );
    const wide = await executeTool(call('view_file', { path: 'wide.txt' }), ctx);
    expect(wide).toMatchObject({ ok: true, total_lines: 100 });
    const note = String(wide.ok && wide.note);
    expect(note).toMatch(
      /^\d+ lines below not shown \(the window ended early to stay within its size limit\): call view_file with start_line=\d+ to continue\.$/,
    );
    expect(String(wide.ok && wide.content).length).toBeLessThanOrEqual(16_000);
  });

  it('answers bad ranges, empty, missing, binary files and directories as failures the agent can act on', async () => {
    ws = await toolWorkspace({
      'a.txt': 'one\ntwo\n',
      'empty.txt': '',
      'img.png': '\u0089PNG\u0000\u0000',
      'src/x.ts': '',
    });
    const ctx = await ws.context('developer');
    expect(await executeTool(call('view_file', { path: 'a.txt', start_line: 3 }), ctx)).toEqual({
      ok: false,
      error: { type: 'invalid_range', message: 'start_line 3 is past the end: a.txt has 2 lines' },
    });
    expect(
      await executeTool(call('view_file', { path: 'a.txt', start_line: 2, end_line: 1 }), ctx),
    ).toMatchObject({
      ok: false,
      error: { type: 'invalid_range' },
    });
    expect(await executeTool(call('view_file', { path: 'empty.txt' }), ctx)).toMatchObject({
      ok: true,
      total_lines: 0,
      note: 'The file is empty.',
    });
    expect(await executeTool(call('view_file', { path: 'nope.txt' }), ctx)).toMatchObject({
      ok: false,
      error: { type: 'not_found' },
    });
    expect(await executeTool(call('view_file', { path: 'img.png' }), ctx)).toMatchObject({
      ok: false,
      error: { type: 'binary_file' },
    });
    expect(await executeTool(call('view_file', { path: 'src' }), ctx)).toMatchObject({
      ok: false,
      error: { type: 'not_a_file' },
    });
    expect(await executeTool(call('view_file', { path: '../etc/passwd' }), ctx)).toMatchObject({
      ok: false,
      error: { type: 'outside_workspace' },
    });
  });
});

import { describe, expect, it } from 'vitest';
import { MAX_OUTPUT_LINE_CHARS, OutputLines } from './output-lines.js';

function split(chunks: (string | Buffer)[], skip?: (line: string) => boolean): string[] {
  const lines: string[] = [];
  const splitter = new OutputLines((l) => lines.push(l), skip);
  for (const c of chunks) {
    splitter.push(typeof c === 'string' ? Buffer.from(c) : c);
  }
  splitter.end();
  return lines;
}

describe('OutputLines', () => {
  it('splits at \\n, \\r\\n and a lone \\r across chunks, dropping blanks and trailing spaces', () => {
    expect(split(['added 3 pack', 'ages\r\n\nprogress 10%\rprogress 100%  \n', 'last'])).toEqual([
      'added 3 packages',
      'progress 10%',
      'progress 100%',
      'last',
    ]);
  });

  it('decodes UTF-8 split between chunks', () => {
    const text = Buffer.from('ünïcode ✓\n');
    expect(split([text.subarray(0, 2), text.subarray(2, 11), text.subarray(11)])).toEqual([
      'ünïcode ✓',
    ]);
  });

  it('cuts an over-long line once, drops its rest, and goes on with the next line', () => {
    const long = 'x'.repeat(MAX_OUTPUT_LINE_CHARS + 500);
    const lines = split([long.slice(0, 1500), long.slice(1500), '\nnext\n']);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe(`${'x'.repeat(MAX_OUTPUT_LINE_CHARS)}…`);
    expect(lines[1]).toBe('next');
  });

  it('leaves out the lines `skip` names, and survives a throwing listener', () => {
    expect(split(['keep\nnonce alive=0\n'], (l) => l.startsWith('nonce'))).toEqual(['keep']);
    const splitter = new OutputLines(() => {
      throw new Error('display broke');
    });
    expect(() => {
      splitter.push(Buffer.from('a\nb\n'));
      splitter.end();
    }).not.toThrow();
  });
});

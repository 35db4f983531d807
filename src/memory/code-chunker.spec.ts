import { describe, expect, it } from 'vitest';
import { MAX_CHUNK_LINES, topLevelChunker } from './code-chunker.js';

const chunk = (path: string, text: string) =>
  topLevelChunker.chunk(path, text).map((c) => ({ s: c.symbol, from: c.startLine, to: c.endLine }));

describe('topLevelChunker', () => {
  it('gives each top-level TypeScript definition its own chunk, with the comment above it', () => {
    const text = [
      "import { x } from './x.js';", // 1
      '', // 2
      '/** Adds. */', // 3
      'export function add(a: number, b: number) {', // 4
      '  // inside', // 5
      '  return a + b;', // 6
      '}', // 7
      '', // 8
      '// The calculator.', // 9
      'export class Calc {', // 10
      '  plus() {}', // 11
      '}', // 12
      'export const mul = (a: number) => a;', // 13
      'interface Opts { a: string }', // 14
      '', // 15
    ].join('\n');
    expect(chunk('src/calc.ts', text)).toEqual([
      { s: 'add', from: 3, to: 7 },
      { s: 'Calc', from: 9, to: 12 },
      { s: 'mul', from: 13, to: 13 },
      { s: 'Opts', from: 14, to: 14 },
    ]);
    expect(topLevelChunker.chunk('src/calc.ts', text)[0]?.text).toBe(
      [
        '/** Adds. */',
        'export function add(a: number, b: number) {',
        '  // inside',
        '  return a + b;',
        '}',
      ].join('\n'),
    );
  });

  it('reads Python (decorators attached), Go (methods) and Rust items', () => {
    expect(chunk('a.py', '@cache\ndef f():\n    pass\n\nclass C:\n    x = 1\n')).toEqual([
      { s: 'f', from: 1, to: 3 },
      { s: 'C', from: 5, to: 6 },
    ]);
    expect(
      chunk(
        'a.go',
        'package a\n\n// F does.\nfunc F() {}\n\nfunc (r *R) M() {}\ntype R struct{}\n',
      ),
    ).toEqual([
      { s: 'F', from: 3, to: 4 },
      { s: 'M', from: 6, to: 6 },
      { s: 'R', from: 7, to: 7 },
    ]);
    expect(
      chunk('a.rs', '#[derive(Debug)]\npub struct S;\npub(crate) fn f() {}\n').map((c) => c.s),
    ).toEqual(['S', 'f']);
  });

  it('names a definition seen twice apart, splits a long one into parts, and chunks Markdown by heading', () => {
    expect(
      chunk('o.ts', 'function f(a: string): void;\nfunction f(a: any) {}\n').map((c) => c.s),
    ).toEqual(['f', 'f~2']);
    const long = [
      'function big() {',
      ...Array.from({ length: MAX_CHUNK_LINES + 10 }, () => '  x();'),
      '}',
    ].join('\n');
    expect(chunk('big.js', long)).toEqual([
      { s: 'big', from: 1, to: MAX_CHUNK_LINES },
      { s: 'big@2', from: MAX_CHUNK_LINES + 1, to: MAX_CHUNK_LINES + 12 },
    ]);
    expect(chunk('README.md', 'intro\n# Setup\nnpm ci\n## Tests\nnpm test\n')).toEqual([
      { s: 'Setup', from: 2, to: 3 },
      { s: 'Tests', from: 4, to: 5 },
    ]);
  });

  it('makes a file without definitions one chunk, and skips what is not source', () => {
    expect(chunk('run.py', 'print(1)\nprint(2)\n')).toEqual([{ s: '(file)', from: 1, to: 3 }]);
    expect(chunk('empty.ts', '  \n')).toEqual([]);
    expect(topLevelChunker.supports('src/a.ts')).toBe(true);
    for (const path of [
      'node_modules/x/a.js',
      'dist/a.js',
      'a.min.js',
      'types.d.ts',
      'logo.png',
      'Makefile',
    ]) {
      expect(topLevelChunker.supports(path)).toBe(false);
    }
  });
});

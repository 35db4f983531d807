import { describe, expect, it } from 'vitest';
import { buildRepoMap, topLevelSymbols } from './repo-map.js';

describe('repo map', () => {
  it('finds top-level symbols per language and ignores nested ones', () => {
    expect(
      topLevelSymbols('calc.py', 'def add(a, b):\n    def inner():\n        pass\nclass Calc:\n'),
    ).toEqual(['add', 'Calc']);
    expect(
      topLevelSymbols(
        'src/a.ts',
        'export async function run() {}\nexport const x = 1;\n  const y = 2;\ntype T = 1;\n',
      ),
    ).toEqual(['run', 'x', 'T']);
    expect(topLevelSymbols('main.go', 'func (s *S) Do() {}\ntype S struct{}\n')).toEqual([
      'Do',
      'S',
    ]);
    expect(topLevelSymbols('README.md', '# def nope')).toEqual([]);
  });

  it('reads only source files, and cuts the map at the size budget', async () => {
    const read: string[] = [];
    const files = { 'calc.py': 'def add(a, b):\n    return a + b\n', 'logo.png': '\u0089PNG' };
    const map = await buildRepoMap(['calc.py', 'logo.png', '.gitignore'], (p) => {
      read.push(p);
      return Promise.resolve(files[p as keyof typeof files] ?? '');
    });
    expect(map).toBe('calc.py: add\nlogo.png\n.gitignore');
    expect(read).toEqual(['calc.py']);
    const many = Array.from({ length: 100 }, (_, i) => `src/file-${i}.txt`);
    const cut = await buildRepoMap(many, () => Promise.resolve(''), 200);
    expect(cut.length).toBeLessThanOrEqual(200 + 20);
    expect(cut.split('\n').at(-1)).toMatch(/^… \d+ more files$/);
  });
});

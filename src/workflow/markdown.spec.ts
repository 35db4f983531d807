import { describe, expect, it } from 'vitest';
import { codeBlock, escapeInline, inlineCode } from './markdown.js';

describe('markdown from untrusted text', () => {
  it('neutralises images, links, tables, headings and HTML in inline text', () => {
    const out = escapeInline('# x ![a](https://evil.test/?d=1) [l](u) | <img src=x> *b*');
    expect(out).toBe(
      '# x \\!\\[a\\](https://evil.test/?d=1) \\[l\\](u) \\| \\<img src=x\\> \\*b\\*',
    );
    expect(out).not.toMatch(/(^|[^\\])!\[/);
  });

  it('keeps a code span closed whatever backticks the text holds', () => {
    expect(inlineCode('test_a')).toBe('`test_a`');
    expect(inlineCode('a ` b')).toBe('``a ` b``');
    expect(inlineCode('`x`')).toBe('`` `x` ``');
  });

  it('fences a block longer than any backtick run inside, so output cannot close it', () => {
    const output = 'FAIL\n```\n![leak](https://evil.test/x)\n````\n';
    const block = codeBlock(output);
    expect(block.startsWith('`````\n')).toBe(true);
    expect(block.endsWith('\n`````')).toBe(true);
    expect(codeBlock('plain')).toBe('```\nplain\n```');
  });
});

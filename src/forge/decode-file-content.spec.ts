import { describe, expect, it } from 'vitest';
import { decodeFileContent } from './decode-file-content.js';

describe('decodeFileContent', () => {
  it('decodes base64 (with the line breaks GitHub puts in) and takes other encodings as text', () => {
    const text = 'triggerLabel: tandem\nnaïve: ✓\n';
    const b64 = Buffer.from(text).toString('base64');
    const wrapped = `${b64.slice(0, 10)}\n${b64.slice(10)}\n`;
    expect(decodeFileContent(wrapped, 'base64')).toBe(text);
    expect(decodeFileContent(text, null)).toBe(text);
    expect(decodeFileContent(text, 'utf-8')).toBe(text);
  });
});

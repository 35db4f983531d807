import { describe, expect, it } from 'vitest';
import { parseJsonAnswer } from './parse-json-answer.js';
import { splitReasoning } from './reasoning.js';

describe('splitReasoning', () => {
  it('moves every <think>/<thinking> block out of the answer', () => {
    expect(splitReasoning('<think>a</think>\n{"x":1}<thinking>b</thinking>')).toEqual({
      text: '{"x":1}',
      reasoning: 'a\n\nb',
    });
  });

  it("moves Mistral's [THINK]…[/THINK] blocks out of the answer", () => {
    expect(splitReasoning("[THINK]I'm\nthinking[/THINK]Hello, world!")).toEqual({
      text: 'Hello, world!',
      reasoning: "I'm\nthinking",
    });
  });

  it('treats an unclosed block (cut by max tokens) as reasoning to the end', () => {
    expect(splitReasoning('{"x":1}<think>still going')).toEqual({
      text: '{"x":1}',
      reasoning: 'still going',
    });
  });

  it('treats text before a lone closing tag as reasoning (opening tag was in the template)', () => {
    expect(splitReasoning('plan: use x</think>{"x":2}')).toEqual({
      text: '{"x":2}',
      reasoning: 'plan: use x',
    });
  });

  it('puts provider reasoning (Ollama thinking) first and leaves plain answers alone', () => {
    expect(splitReasoning('answer', 'thought')).toEqual({ text: 'answer', reasoning: 'thought' });
    expect(splitReasoning(' answer ')).toEqual({ text: 'answer', reasoning: '' });
  });
});

describe('parseJsonAnswer', () => {
  it('accepts bare JSON, one fenced block, or JSON inside a sentence', () => {
    expect(parseJsonAnswer(' {"a": 1} ')).toEqual({ ok: true, value: { a: 1 } });
    expect(parseJsonAnswer('```json\n[1, 2]\n```')).toEqual({ ok: true, value: [1, 2] });
    expect(parseJsonAnswer('Here it is: {"a": true}. Done.')).toEqual({
      ok: true,
      value: { a: true },
    });
  });

  it('explains what is wrong otherwise', () => {
    const bad = parseJsonAnswer('{"a": tru');
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.error).toMatch(/^not valid JSON: /);
    expect(parseJsonAnswer('  ')).toEqual({ ok: false, error: 'empty answer' });
  });
});

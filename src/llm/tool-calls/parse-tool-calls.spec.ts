import { describe, expect, it } from 'vitest';
import {
  ALL_DIALECTS,
  FIXTURE_TOOLS,
  type ToolCallAnswer,
} from '../../../test/llm/fixtures/tool-call-answers.js';
import { parseToolCalls } from './parse-tool-calls.js';

const strip = (answer: ReturnType<typeof parseToolCalls>) =>
  answer.calls.map(({ name, arguments: args }) => ({ name, arguments: args }));

describe('parseToolCalls on recorded answers', () => {
  for (const [group, answers] of Object.entries(ALL_DIALECTS)) {
    describe(group, () => {
      it.each(answers.map((a): [string, ToolCallAnswer] => [a.name, a]))('%s', (_name, a) => {
        const parsed = parseToolCalls(a.text, FIXTURE_TOOLS);
        expect(parsed.problems).toEqual([]);
        expect(strip(parsed)).toEqual(a.calls);
        expect(parsed.text).toBe(a.prose ?? '');
        expect(parsed.reasoning).toBe(a.reasoning ?? '');
      });
    });
  }

  it('names the dialect each call was read from', () => {
    const dialects = (text: string) => parseToolCalls(text, FIXTURE_TOOLS).calls[0]?.dialect;
    expect(dialects(ALL_DIALECTS.HERMES[0]!.text)).toBe('hermes');
    expect(dialects(ALL_DIALECTS.QWEN3_CODER[0]!.text)).toBe('qwen3-coder');
    expect(dialects(ALL_DIALECTS.LLAMA[1]!.text)).toBe('llama');
    expect(dialects(ALL_DIALECTS.LLAMA[3]!.text)).toBe('llama');
    expect(dialects(ALL_DIALECTS.MISTRAL[0]!.text)).toBe('mistral');
    expect(dialects(ALL_DIALECTS.DEEPSEEK[0]!.text)).toBe('deepseek');
    expect(dialects(ALL_DIALECTS.JSON_CALLS[0]!.text)).toBe('json');
  });
});

describe('parseToolCalls: answers that are not calls', () => {
  it('leaves prose and a final JSON answer alone', () => {
    expect(parseToolCalls('The tests pass now.')).toEqual({
      text: 'The tests pass now.',
      reasoning: '',
      calls: [],
      problems: [],
    });
    const finish = '{"summary": "added multiply", "tests": ["test_multiply"]}';
    expect(parseToolCalls(finish, FIXTURE_TOOLS)).toMatchObject({ text: finish, calls: [] });
  });

  it('does not take a bare object with a "name" field for a call unless it names an offered tool or has arguments', () => {
    const answer = '{"name": "multiply", "summary": "done"}';
    expect(parseToolCalls(answer, FIXTURE_TOOLS).calls).toEqual([]);
    expect(parseToolCalls('{"name": "read_file"}', FIXTURE_TOOLS).calls).toEqual([
      { name: 'read_file', arguments: {}, dialect: 'json' },
    ]);
    // Inside a marker, the marker says it is a call.
    expect(parseToolCalls('<tool_call>{"name": "multiply"}</tool_call>').calls).toEqual([
      { name: 'multiply', arguments: {}, dialect: 'hermes' },
    ]);
  });

  it('never reads a call inside the reasoning', () => {
    const parsed = parseToolCalls(
      '<think>maybe <tool_call>{"name": "read_file", "arguments": {"path": "a"}}</tool_call></think>The answer.',
    );
    expect(parsed).toMatchObject({ text: 'The answer.', calls: [], problems: [] });
    expect(parsed.reasoning).toContain('<tool_call>');
  });
});

describe('parseToolCalls: truncated and malformed calls', () => {
  const cutContent = '"content": "export function add(a, b) {\\n  return a';
  const truncated: [string, string][] = [
    [
      'hermes',
      `<tool_call>\n{"name": "write_file", "arguments": {"path": "src/add.ts", ${cutContent}`,
    ],
    ['hermes', 'Let me write it.\n<tool_call>\n'],
    [
      'qwen3-coder',
      '<tool_call>\n<function=write_file>\n<parameter=path>\nsrc/add.ts\n</parameter>\n<parameter=content>\nexport function add(a, b) {\n',
    ],
    [
      'qwen3-coder',
      '<tool_call>\n<function=write_file>\n<parameter=path>\nsrc/add.ts\n</parameter>\n',
    ],
    ['mistral', `[TOOL_CALLS][{"name": "write_file", "arguments": {"path": "a", ${cutContent}`],
    ['mistral', `[TOOL_CALLS]write_file[ARGS]{"path": "a", ${cutContent}`],
    ['llama', `<|python_tag|>{"name": "write_file", "parameters": {"path": "a", ${cutContent}`],
    ['llama', `<function=write_file>{"path": "a", ${cutContent}`],
    [
      'deepseek',
      '<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>write_file\n```json\n{"path": "a", "content": "x',
    ],
    [
      'json',
      `I'll write the file.\n{"name": "write_file", "arguments": {"path": "a", ${cutContent}`,
    ],
    ['json', `\`\`\`json\n{"name": "write_file", "arguments": {"path": "a", ${cutContent}`],
  ];
  it.each(truncated)(
    '%s: reports a call the answer ends inside as truncated, and runs nothing',
    (dialect, text) => {
      const parsed = parseToolCalls(text, FIXTURE_TOOLS);
      expect(parsed.calls).toEqual([]);
      expect(parsed.problems).toHaveLength(1);
      expect(parsed.problems[0]).toMatchObject({ kind: 'truncated', dialect });
      expect(parsed.problems[0]!.message).toMatch(/cut off/);
      expect(parsed.problems[0]!.excerpt.length).toBeLessThanOrEqual(201);
    },
  );

  it('keeps the complete calls written before the one that was cut off', () => {
    const parsed = parseToolCalls(
      '<tool_call>{"name": "read_file", "arguments": {"path": "a"}}</tool_call>\n<tool_call>{"name": "write_file", "arguments": {"path": "b", "content": "x',
    );
    expect(strip(parsed)).toEqual([{ name: 'read_file', arguments: { path: 'a' } }]);
    expect(parsed.problems.map((p) => p.kind)).toEqual(['truncated']);
  });

  it('repairs complete JSON that models commonly get wrong (raw new lines in strings, trailing commas)', () => {
    const parsed = parseToolCalls(
      '<tool_call>\n{"name": "write_file", "arguments": {"path": "a.py", "content": "def f():\n    return 1\n",},}\n</tool_call>',
    );
    expect(parsed.problems).toEqual([]);
    expect(strip(parsed)).toEqual([
      { name: 'write_file', arguments: { path: 'a.py', content: 'def f():\n    return 1\n' } },
    ]);
  });

  it('reports arguments that are not an object, and a block without a call', () => {
    const notObject = parseToolCalls(
      '<tool_call>{"name": "read_file", "arguments": "src/a.ts"}</tool_call>',
    );
    expect(notObject.calls).toEqual([]);
    expect(notObject.problems[0]).toMatchObject({ kind: 'invalid_json', dialect: 'hermes' });
    expect(notObject.problems[0]!.message).toContain(
      'the arguments of read_file are not a JSON object',
    );
    const empty = parseToolCalls('<tool_call>read_file src/a.ts</tool_call>');
    expect(empty.problems[0]).toMatchObject({ kind: 'invalid_json' });
    expect(empty.problems[0]!.message).toContain('holds no {"name"');
  });

  it("reports Llama's built-in tool syntax, which is not a JSON call", () => {
    const parsed = parseToolCalls('<|python_tag|>brave_search.call(query="vitest")<|eom_id|>');
    expect(parsed.calls).toEqual([]);
    expect(parsed.problems[0]).toMatchObject({ kind: 'invalid_json', dialect: 'llama' });
  });

  it('reports text inside a Qwen3-Coder call that is not a parameter', () => {
    const parsed = parseToolCalls(
      '<tool_call>\n<function=read_file>\npath: a.ts\n</function>\n</tool_call>',
    );
    expect(parsed.problems[0]).toMatchObject({ kind: 'invalid_json', dialect: 'qwen3-coder' });
  });

  it('accepts a Qwen3-Coder call without parameters and a missing </parameter>', () => {
    expect(
      strip(parseToolCalls('<tool_call>\n<function=repo_map>\n</function>\n</tool_call>')),
    ).toEqual([{ name: 'repo_map', arguments: {} }]);
    expect(
      strip(
        parseToolCalls('<function=read_file>\n<parameter=path>\na.ts\n</function>', FIXTURE_TOOLS),
      ),
    ).toEqual([{ name: 'read_file', arguments: { path: 'a.ts' } }]);
  });
});

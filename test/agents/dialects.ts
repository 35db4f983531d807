/**
 * Writes tool calls the way each open-model family writes them as text (formats as in
 * test/llm/fixtures/tool-call-answers.ts, where each is traced to its chat template or to captured
 * output), for the model stand-in of the model-behaviour suite.
 */

/** One call. */
export interface Call {
  name: string;
  arguments: Record<string, unknown>;
}

/** Renders the calls of one answer as a model of that family writes them. */
export type Dialect = (calls: readonly Call[]) => string;

const json = (c: Call, key = 'arguments') => JSON.stringify({ name: c.name, [key]: c.arguments });

export const DIALECTS: Record<string, Dialect> = {
  /** Qwen 2.5 / Hermes: one `<tool_call>` block per call. */
  hermes: (calls) => calls.map((c) => `<tool_call>\n${json(c)}\n</tool_call>`).join('\n'),
  /** Qwen3-Coder: XML-ish function and parameter tags, values raw. */
  'qwen3-coder': (calls) =>
    calls
      .map(
        (c) =>
          `<tool_call>\n<function=${c.name}>\n${Object.entries(c.arguments)
            .map(
              ([k, v]) =>
                `<parameter=${k}>\n${typeof v === 'string' ? v : JSON.stringify(v)}\n</parameter>`,
            )
            .join('\n')}\n</function>\n</tool_call>`,
      )
      .join('\n'),
  /** Llama 3.1: `<|python_tag|>` and `parameters`, several separated by `;`, ended by `<|eom_id|>`. */
  'llama-python-tag': (calls) =>
    `<|python_tag|>${calls.map((c) => json(c, 'parameters')).join('; ')}<|eom_id|>`,
  /** Llama 3.2/3.3: the bare JSON object with `parameters`. */
  'llama-json': (calls) => calls.map((c) => json(c, 'parameters')).join('\n'),
  /** Mistral 7B v0.3 / Nemo: `[TOOL_CALLS]` and a JSON list. */
  'mistral-v3': (calls) => `[TOOL_CALLS] [${calls.map((c) => json(c)).join(', ')}]`,
  /** Devstral / Ministral 3: `[TOOL_CALLS]NAME[ARGS]{…}` per call. */
  'mistral-v13': (calls) =>
    calls.map((c) => `[TOOL_CALLS]${c.name}[ARGS]${JSON.stringify(c.arguments)}`).join(''),
  /** DeepSeek R1: tool-call tokens around a fenced JSON. */
  deepseek: (calls) =>
    `<｜tool▁calls▁begin｜>${calls
      .map(
        (c) =>
          `<｜tool▁call▁begin｜>function<｜tool▁sep｜>${c.name}\n\`\`\`json\n${JSON.stringify(c.arguments)}\n\`\`\`<｜tool▁call▁end｜>`,
      )
      .join('')}<｜tool▁calls▁end｜>`,
  /** Qwen2.5-Coder through Ollama: a ```json fence with a sentence before it. */
  'fenced-json': (calls) =>
    `I will call ${calls.map((c) => c.name).join(' and ')}.\n\`\`\`json\n${JSON.stringify(
      calls.length === 1 ? { name: calls[0]!.name, arguments: calls[0]!.arguments } : calls,
      null,
      2,
    )}\n\`\`\``,
  /** Arguments as a JSON-encoded string, as in the OpenAI function-call shape. */
  'string-arguments': (calls) =>
    calls
      .map((c) => JSON.stringify({ name: c.name, arguments: JSON.stringify(c.arguments) }))
      .join('\n'),
};

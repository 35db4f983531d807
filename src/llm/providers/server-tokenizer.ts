/**
 * Token counts from an OpenAI-compatible server's own tokenizer, for aliases whose catalog entry says
 * `tokenizer: llama-server` or `vllm`. Both servers serve `POST /tokenize` at the server root (not under
 * `/v1`): llama.cpp's server takes `{"content": text}` and answers `{"tokens": [...]}` (tools/server
 * README); vLLM takes `{"model", "prompt"}` and answers `{"count", "tokens", "max_model_len"}` (its
 * OpenAI-compatible server's tokenizer API).
 */
import { z } from 'zod';
import { ModelCallAbortedError, ModelCallError, redactSecrets } from '../../errors/index.js';
import type { ModelEntry } from '../catalog.js';

const LlamaServerTokens = z.object({ tokens: z.array(z.unknown()) });
const VllmTokens = z.object({ count: z.number().int().min(0) });

/** The server root of an OpenAI base URL: `http://h:8000/v1` → `http://h:8000`. */
export function serverRoot(endpoint: string): string {
  return endpoint.replace(/\/+$/, '').replace(/\/v1$/, '');
}

/**
 * Counts the tokens of `text` with the server's tokenizer (no special tokens added).
 * @throws ModelCallError when the server cannot be reached or answers with an error or an unknown shape
 * @throws ModelCallAbortedError when `signal` aborts
 */
export async function countServerTokens(
  alias: string,
  entry: ModelEntry,
  text: string,
  options: { fetch?: typeof fetch; signal?: AbortSignal } = {},
): Promise<number> {
  const vllm = entry.tokenizer === 'vllm';
  const secrets = [...(entry.apiKey ? [entry.apiKey] : []), ...Object.values(entry.headers)];
  let res: Response;
  try {
    res = await (options.fetch ?? fetch)(`${serverRoot(entry.endpoint ?? '')}/tokenize`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(entry.apiKey ? { authorization: `Bearer ${entry.apiKey}` } : {}),
        ...entry.headers,
      },
      body: JSON.stringify(
        vllm ? { model: entry.model, prompt: text, add_special_tokens: false } : { content: text },
      ),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    if (options.signal?.aborted) {
      throw new ModelCallAbortedError(alias, { cause: error });
    }
    const message = redactSecrets(error instanceof Error ? error.message : String(error), secrets);
    throw new ModelCallError(alias, `tokenize request failed: ${message}`, true);
  }
  if (!res.ok) {
    throw new ModelCallError(alias, `tokenize: HTTP ${res.status}`, res.status >= 500, res.status);
  }
  const body: unknown = await res.json().catch(() => undefined);
  const parsed = vllm ? VllmTokens.safeParse(body) : LlamaServerTokens.safeParse(body);
  if (!parsed.success) {
    throw new ModelCallError(alias, 'tokenize: the server answered an unknown shape', false);
  }
  return 'count' in parsed.data ? parsed.data.count : parsed.data.tokens.length;
}

import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { ModelCallError } from '../../src/errors/index.js';
import { parseModelCatalog } from '../../src/llm/catalog.js';
import { countServerTokens, serverRoot } from '../../src/llm/providers/server-tokenizer.js';
import { useNock, type JsonBody } from './nock-helpers.js';

const catalog = parseModelCatalog(
  `
models:
  vllm:
    provider: openai
    model: Qwen/Qwen2.5-Coder-32B-Instruct
    endpoint: http://gpu.test:8000/v1/
    apiKey: sk-local-0123456789
    tokenizer: vllm
  llama:
    provider: openai
    model: any
    endpoint: http://cpu.test:8080/v1
    tokenizer: llama-server
`,
  {},
);

describe('server tokenizers (HTTP)', () => {
  useNock();

  it('finds the server root under the OpenAI base URL', () => {
    expect(serverRoot('http://gpu.test:8000/v1/')).toBe('http://gpu.test:8000');
    expect(serverRoot('http://proxy.test/llm/v1')).toBe('http://proxy.test/llm');
  });

  it("asks vLLM's /tokenize with the model and reads its count", async () => {
    let body: JsonBody = {};
    nock('http://gpu.test:8000', { reqheaders: { authorization: 'Bearer sk-local-0123456789' } })
      .post('/tokenize', (b: JsonBody) => (body = b) !== undefined)
      .reply(200, { count: 5, max_model_len: 32768, tokens: [1, 2, 3, 4, 5] });
    expect(await countServerTokens('vllm', catalog.models.vllm!, 'def f(): pass')).toBe(5);
    expect(body).toEqual({
      model: 'Qwen/Qwen2.5-Coder-32B-Instruct',
      prompt: 'def f(): pass',
      add_special_tokens: false,
    });
  });

  it("asks llama.cpp's server with content and counts its tokens", async () => {
    nock('http://cpu.test:8080')
      .post('/tokenize', { content: 'hello' })
      .reply(200, { tokens: [15339, 1917] });
    expect(await countServerTokens('llama', catalog.models.llama!, 'hello')).toBe(2);
  });

  it('reports a missing endpoint or an unknown answer as a ModelCallError', async () => {
    nock('http://cpu.test:8080').post('/tokenize').reply(404, 'Not Found');
    nock('http://cpu.test:8080').post('/tokenize').reply(200, { n: 3 });
    await expect(countServerTokens('llama', catalog.models.llama!, 'x')).rejects.toMatchObject({
      status: 404,
      transient: false,
    });
    await expect(countServerTokens('llama', catalog.models.llama!, 'x')).rejects.toBeInstanceOf(
      ModelCallError,
    );
  });
});

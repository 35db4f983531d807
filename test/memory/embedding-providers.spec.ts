/**
 * Embeddings at the HTTP boundary: Ollama's `/api/embed` and an OpenAI-compatible `/v1/embeddings`
 * (nock, with the servers' own answer shapes), through the memory's embedder over the real ModelManager
 * (slot, breaker, retries, `model_calls` rows).
 */
import { describe, expect, it } from 'vitest';
import { EmbeddingMismatchError, ModelCallError } from '../../src/errors/index.js';
import { parseModelCatalog } from '../../src/llm/catalog.js';
import { MemoryModelCallRecorder } from '../../src/llm/model-call-recorder.js';
import { ModelManager } from '../../src/llm/model-manager.js';
import { managerEmbedders } from '../../src/memory/embedder.js';
import { useHttpMock } from '../http-mock.js';

const OLLAMA = 'http://ollama.test:11434';
const VLLM = 'http://gpu-box.test:8000';

const catalog = parseModelCatalog(
  `
models:
  nomic:
    provider: ollama
    kind: embedding
    model: nomic-embed-text
    dimensions: 4
    endpoint: ${OLLAMA}
    contextSize: 2048
    keepAlive: 1h
  remote-embed:
    provider: openai
    kind: embedding
    model: text-embedding-3-small
    dimensions: 3
    endpoint: ${VLLM}/v1
    apiKey: sk-secret-value-123
    priceInPerMTok: 0.02
  narrow:
    provider: ollama
    kind: embedding
    model: all-minilm
    dimensions: 2
    endpoint: ${OLLAMA}
`,
  {},
);

type Body = Record<string, unknown>;

function setup() {
  const recorder = new MemoryModelCallRecorder();
  const manager = new ModelManager({ catalog, recorder, sleep: () => Promise.resolve() });
  return { recorder, embedders: managerEmbedders(manager) };
}

describe('embeddings over HTTP', () => {
  const http = useHttpMock();

  it('Ollama: posts /api/embed with the texts as a list, truncate, num_ctx and keep_alive', async () => {
    const bodies: Body[] = [];
    http
      .scope(OLLAMA)
      .post('/api/embed', (b: Body) => {
        bodies.push(b);
        return true;
      })
      .reply(200, {
        model: 'nomic-embed-text',
        embeddings: [
          [0.1, 0.2, 0.3, 0.4],
          [0.5, 0.6, 0.7, 0.8],
        ],
        total_duration: 14143917,
        load_duration: 1019500,
        prompt_eval_count: 8,
      });
    const { recorder, embedders } = setup();
    const e = embedders('nomic');
    expect([e.model, e.dimensions]).toEqual(['ollama:nomic-embed-text', 4]);
    expect(await e.embed(['first text', 'second text'], { repositoryId: 7 })).toEqual([
      [0.1, 0.2, 0.3, 0.4],
      [0.5, 0.6, 0.7, 0.8],
    ]);
    expect(bodies).toEqual([
      {
        model: 'nomic-embed-text',
        input: ['first text', 'second text'],
        truncate: true,
        keep_alive: '1h',
        options: { num_ctx: 2048 },
      },
    ]);
    expect(recorder.rows).toEqual([
      expect.objectContaining({
        alias: 'nomic',
        role: 'embedding',
        repositoryId: 7,
        inputTokens: 8,
        outputTokens: 0,
        costUsd: 0,
        outcome: 'ok',
      }),
    ]);
  });

  it('Ollama: retries a 503, then fails permanently on a 404 (model not pulled) with the server’s words', async () => {
    http
      .scope(OLLAMA)
      .post('/api/embed')
      .reply(503, { error: 'server busy' })
      .post('/api/embed')
      .reply(200, { model: 'nomic-embed-text', embeddings: [[1, 0, 0, 0]] })
      .post('/api/embed')
      .reply(404, { error: 'model "nomic-embed-text" not found, try pulling it first' });
    const { recorder, embedders } = setup();
    expect(await embedders('nomic').embed(['x'])).toEqual([[1, 0, 0, 0]]);
    const err = await embedders('nomic')
      .embed(['y'])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelCallError);
    expect((err as ModelCallError).transient).toBe(false);
    expect((err as Error).message).toContain('try pulling it first');
    expect(recorder.rows.map((r) => r.outcome)).toEqual(['error', 'ok', 'error']);
  });

  it('refuses vectors of another width than the catalog says, naming both and the fix', async () => {
    http
      .scope(OLLAMA)
      .post('/api/embed')
      .reply(200, { model: 'all-minilm', embeddings: [[0.1, 0.2, 0.3]] });
    const { embedders } = setup();
    const err = await embedders('narrow')
      .embed(['x'])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EmbeddingMismatchError);
    expect((err as Error).message).toBe(
      'model alias narrow returned vectors of 3 dimensions, but the catalog gives it dimensions: 2; ' +
        'set `dimensions: 3` for narrow in the model catalog',
    );
  });

  it('OpenAI-compatible: asks for floats (not the package’s base64), orders by index, prices the input', async () => {
    const bodies: Body[] = [];
    const auth: string[] = [];
    http
      .scope(VLLM)
      .post('/v1/embeddings', (b: Body) => {
        bodies.push(b);
        return true;
      })
      .matchHeader('authorization', (v: string) => {
        auth.push(v);
        return true;
      })
      .reply(200, {
        object: 'list',
        data: [
          { object: 'embedding', index: 1, embedding: [0, 1, 0] },
          { object: 'embedding', index: 0, embedding: [1, 0, 0] },
        ],
        model: 'text-embedding-3-small',
        usage: { prompt_tokens: 500_000, total_tokens: 500_000 },
      });
    const { recorder, embedders } = setup();
    expect(await embedders('remote-embed').embed(['a', 'b'])).toEqual([
      [1, 0, 0],
      [0, 1, 0],
    ]);
    expect(bodies).toEqual([
      { model: 'text-embedding-3-small', input: ['a', 'b'], encoding_format: 'float' },
    ]);
    expect(auth).toEqual(['Bearer sk-secret-value-123']);
    expect(recorder.rows[0]).toMatchObject({ inputTokens: 500_000, costUsd: 0.01, outcome: 'ok' });
  });

  it('OpenAI-compatible: a 401 is permanent and its message never shows the key; a body without data is refused', async () => {
    http
      .scope(VLLM)
      .post('/v1/embeddings')
      .reply(401, { error: { message: 'Incorrect API key provided: sk-secret-value-123' } })
      .post('/v1/embeddings')
      .reply(200, { object: 'list', embeddings: [[1, 2, 3]] });
    const { embedders } = setup();
    const denied = await embedders('remote-embed')
      .embed(['a'])
      .catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(ModelCallError);
    expect((denied as ModelCallError).status).toBe(401);
    expect((denied as Error).message).not.toContain('sk-secret-value-123');
    const odd = await embedders('remote-embed')
      .embed(['a'])
      .catch((e: unknown) => e);
    expect((odd as Error).message).toContain('no list of embeddings');
  });

  it('sends long inputs in batches of 32, each text cut to twice the context in characters', async () => {
    const sizes: number[][] = [];
    http
      .scope(OLLAMA)
      .post('/api/embed', (b: { input: string[] }) => {
        sizes.push(b.input.map((t) => t.length));
        return true;
      })
      .times(2)
      .reply(200, (_uri, b) => ({
        model: 'nomic-embed-text',
        embeddings: (b as { input: string[] }).input.map(() => [0, 0, 0, 1]),
      }));
    const { embedders } = setup();
    const texts = Array.from({ length: 40 }, (_, i) => (i === 0 ? 'x'.repeat(10_000) : 'y'));
    expect(await embedders('nomic').embed(texts)).toHaveLength(40);
    expect(sizes.map((s) => s.length)).toEqual([32, 8]);
    expect(sizes[0]?.[0]).toBe(4_096);
  });

  it('refuses a chat alias or an unknown alias as an embedder', () => {
    const manager = new ModelManager({
      catalog: parseModelCatalog('models: {}', {}),
    });
    expect(() => managerEmbedders(manager)('local-coder')).toThrow(/not kind: embedding/);
    expect(() => managerEmbedders(manager)('nope')).toThrow(/unknown model alias/);
  });
});

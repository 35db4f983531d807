/**
 * The server's model catalog: aliases → provider, model, endpoint, credentials, context size, price and
 * concurrency. Owned by the operator (a YAML file named by `TANDEM_MODEL_CATALOG`, secrets as `${ENV_VAR}`
 * references resolved from an env object), never by a repository: a repository's policy only picks aliases
 * (see `validatePolicyModels`). docs/models.md documents every key.
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { AliasName } from '../config/repo-policy.js';
import { ConfigError, type ConfigIssue } from '../errors/index.js';

/** Provider implementations a catalog entry can name. */
export const ProviderName = z.enum(['ollama', 'llama-cpp', 'openai', 'scripted']);
export type ProviderName = z.infer<typeof ProviderName>;

const HttpUrl = z.string().refine((s) => {
  try {
    const u = new URL(s);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    return false;
  }
}, 'must be an http(s) URL');

/** One catalog alias as written in the file (after `${ENV}` resolution). */
export const CatalogEntry = z
  .strictObject({
    provider: ProviderName,
    /**
     * `chat` (the agents' roles) or `embedding` (the policy's `models.embedding`: vectors for project
     * memory, through Ollama `/api/embed`, OpenAI-compatible `/v1/embeddings` or a llama.cpp embedding
     * context).
     */
    kind: z.enum(['chat', 'embedding']).default('chat'),
    /** Width of the vectors an `embedding` alias returns (e.g. 768 for nomic-embed-text); required there. */
    dimensions: z.number().int().min(1).max(16_000).optional(),
    /** Ollama model name, OpenAI model id, GGUF path or `hf:` reference, or a free label (scripted). */
    model: z.string().min(1),
    /** Base URL (ollama, openai). */
    endpoint: HttpUrl.optional(),
    /** API key (openai); write `${OPENAI_API_KEY}` and keep the value in the environment. */
    apiKey: z.string().min(1).optional(),
    /** Extra HTTP headers (openai, ollama); values may be `${ENV}` references. */
    headers: z.record(z.string(), z.string()).default({}),
    /** Context window in tokens; sent to Ollama as `num_ctx`, used as llama.cpp's context size. */
    contextSize: z.number().int().min(256).max(1_048_576).default(8_192),
    /** Default cap on output tokens when a request gives none. */
    maxOutputTokens: z.number().int().min(1).max(262_144).default(4_096),
    /** US dollars per 1M input tokens (0 for local models). */
    priceInPerMTok: z.number().min(0).default(0),
    /** US dollars per 1M output tokens (0 for local models). */
    priceOutPerMTok: z.number().min(0).default(0),
    /** Calls to this alias at once, across all tickets of this process. */
    maxConcurrent: z.number().int().min(1).max(256).default(1),
    /** Data leaves the machine; `privacy: local-only` refuses it. Default: true for openai, else false. */
    remote: z.boolean().optional(),
    /** Reasoning model: Ollama gets `think: true`. */
    reasoning: z.boolean().default(false),
    /** Ollama `keep_alive` (duration string or seconds). */
    keepAlive: z.union([z.string().min(1), z.number()]).default('10m'),
    /** llama-cpp: unload the model after this many idle seconds. */
    idleTtlSeconds: z.number().int().min(1).max(86_400).default(300),
    /**
     * llama-cpp: CPU threads per call; 0 lets node-llama-cpp decide. Set it at or below the cores left
     * free: llama.cpp's threads spin-wait, and on an oversubscribed machine generation slows down 100×.
     */
    threads: z.number().int().min(0).max(256).default(0),
    /** llama-cpp: context sequences (parallel calls on one loaded model). */
    contextSequences: z.number().int().min(1).max(16).default(1),
    /**
     * How tools are offered: `native` (the server's tool API), `text` (tools described in the system
     * prompt, calls read from the answer's text in any dialect `parseToolCalls` knows), `auto` (native,
     * switching to text for this alias once the server refuses tools or the model writes calls as text).
     */
    toolCalling: z.enum(['native', 'text', 'auto']).default('auto'),
    /** Sampling temperature of calls that set none; callers raise it on retries. */
    temperature: z.number().min(0).max(2).default(0.2),
    /** Sampling seed sent with every call that sets none (servers that honour it answer reproducibly). */
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1)
      .optional(),
    /**
     * How prompt tokens are counted to keep requests inside `contextSize`: `estimate` (characters per
     * token, calibrated from the usage the server reports), or the server's own tokenizer through its
     * `/tokenize` endpoint (`llama-server` for llama.cpp's server, `vllm`; openai provider only). The
     * llama-cpp provider always uses the model's tokenizer.
     */
    tokenizer: z.enum(['estimate', 'llama-server', 'vllm']).default('estimate'),
    /** openai: how structured output is requested; `json_object` for servers without json_schema. */
    structuredOutput: z.enum(['json_schema', 'json_object']).default('json_schema'),
    /** Wall-clock limit of one call in seconds. */
    timeoutSeconds: z.number().int().min(1).max(3_600).default(600),
    /**
     * Pair engine: independent samples per green attempt, the first the test suite passes is kept
     * (Agentless). 1 (the default) is off; more costs that many times the calls, so only where calls
     * are cheap or fast.
     */
    samples: z.number().int().min(1).max(8).default(1),
    /** scripted: path of the script file. */
    script: z.string().min(1).optional(),
  })
  .superRefine((e, ctx) => {
    if ((e.provider === 'ollama' || e.provider === 'openai') && e.endpoint === undefined) {
      ctx.addIssue({ code: 'custom', path: ['endpoint'], message: `required for ${e.provider}` });
    }
    if (e.tokenizer !== 'estimate' && e.provider !== 'openai') {
      ctx.addIssue({
        code: 'custom',
        path: ['tokenizer'],
        message: `${e.tokenizer} is a server tokenizer: only for the openai provider`,
      });
    }
    if (e.kind === 'embedding' && e.dimensions === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['dimensions'],
        message: 'required for kind: embedding (the width of the vectors the model returns)',
      });
    }
    if (e.kind === 'chat' && e.dimensions !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['dimensions'], message: 'only for kind: embedding' });
    }
    if (e.kind === 'embedding' && e.provider === 'scripted') {
      ctx.addIssue({
        code: 'custom',
        path: ['provider'],
        message: 'scripted cannot embed: use ollama, openai or llama-cpp for kind: embedding',
      });
    }
    if (e.provider === 'scripted' && e.script === undefined) {
      ctx.addIssue({ code: 'custom', path: ['script'], message: 'required for scripted' });
    }
    if (e.provider === 'llama-cpp' && /^[a-z]+:\/\//i.test(e.model)) {
      ctx.addIssue({
        code: 'custom',
        path: ['model'],
        message: 'must be a GGUF file path or an hf: reference',
      });
    }
  });
export type CatalogEntry = z.infer<typeof CatalogEntry>;

/** A catalog entry ready to use: `remote` decided. */
export type ModelEntry = Omit<CatalogEntry, 'remote'> & { remote: boolean };

/** The catalog file. */
export const CatalogFile = z.strictObject({
  /** Where `hf:` models are downloaded (llama-cpp). */
  modelsDir: z.string().min(1).default('.tandem/models'),
  /** Hugging Face endpoint for `hf:` downloads (a mirror); default `https://huggingface.co/`. */
  huggingFaceEndpoint: HttpUrl.optional(),
  /** Keep the built-in aliases (an alias in the file replaces a built-in one of the same name). */
  includeDefaults: z.boolean().default(true),
  models: z.record(AliasName, CatalogEntry).default({}),
});
export type CatalogFile = z.infer<typeof CatalogFile>;

/** A loaded catalog. */
export interface ModelCatalog {
  modelsDir: string;
  huggingFaceEndpoint?: string;
  models: Readonly<Record<string, ModelEntry>>;
}

/**
 * Qwen2.5-Coder 1.5B Instruct, Q4_K_M (about 1.1 GB), from Qwen's own GGUF repository: the policy default,
 * small enough to run on any machine (about 1.6 GB of memory with a 16k context, on CPU).
 */
export const DEFAULT_LOCAL_CODER =
  'hf:Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf';

/**
 * Qwen2.5-Coder 7B Instruct, Q4_K_M (4.68 GB; about 5.7 GB of memory with a 16k context), one file in
 * bartowski's GGUF repository: the built-in escalation step, downloaded only when a role first escalates.
 */
export const DEFAULT_LOCAL_CODER_7B =
  'hf:bartowski/Qwen2.5-Coder-7B-Instruct-GGUF/Qwen2.5-Coder-7B-Instruct-Q4_K_M.gguf';

/** Alias of the built-in escalation step (`DEFAULT_ESCALATION` in the repository policy names it). */
export const DEFAULT_ESCALATION_ALIAS = 'local-coder-7b';

/**
 * Built-in aliases, both embedded through llama.cpp (never `scripted`): `local-coder`, the policy default
 * for every role, and `local-coder-7b`, the step every role escalates to by default. docs/models.md has
 * the recommendations for GPUs.
 */
export const DEFAULT_CATALOG_FILE: CatalogFile = CatalogFile.parse({
  models: {
    'local-coder': { provider: 'llama-cpp', model: DEFAULT_LOCAL_CODER, contextSize: 16_384 },
    [DEFAULT_ESCALATION_ALIAS]: {
      provider: 'llama-cpp',
      model: DEFAULT_LOCAL_CODER_7B,
      contextSize: 16_384,
    },
  },
});

/** The catalog used when the server has no catalog file. */
export const DEFAULT_CATALOG: ModelCatalog = resolveCatalog(DEFAULT_CATALOG_FILE);

const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Replaces `${NAME}` references in `value`; a missing variable is reported by name, never by value. */
function substitute(
  value: string,
  env: Readonly<Record<string, string | undefined>>,
  report: (message: string) => void,
): string {
  return value.replace(ENV_REF, (_m, name: string) => {
    const v = env[name];
    if (v === undefined || v === '') {
      report(`environment variable ${name} is not set`);
      return '';
    }
    return v;
  });
}

/**
 * Merges the built-in aliases (unless `includeDefaults: false`), decides `remote`, and makes relative
 * file paths (`modelsDir`, `script`, a GGUF `model` path) relative to `baseDir` (the catalog file's folder).
 */
function resolveCatalog(file: CatalogFile, baseDir?: string): ModelCatalog {
  const at = (p: string): string =>
    baseDir === undefined || isAbsolute(p) ? p : resolve(baseDir, p);
  const models: Record<string, ModelEntry> = {};
  const merged = file.includeDefaults
    ? { ...DEFAULT_CATALOG_FILE.models, ...file.models }
    : file.models;
  for (const [alias, e] of Object.entries(merged)) {
    const { remote, ...rest } = e;
    const entry: ModelEntry = { ...rest, remote: remote ?? e.provider === 'openai' };
    if (entry.script !== undefined) {
      entry.script = at(entry.script);
    }
    if (entry.provider === 'llama-cpp' && !entry.model.startsWith('hf:')) {
      entry.model = at(entry.model);
    }
    models[alias] = entry;
  }
  return {
    modelsDir: at(file.modelsDir),
    ...(file.huggingFaceEndpoint === undefined
      ? {}
      : { huggingFaceEndpoint: file.huggingFaceEndpoint }),
    models,
  };
}

const dotted = (path: readonly PropertyKey[]): string =>
  path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i > 0 ? '.' : ''}${String(p)}`))
    .join('');

/**
 * Parses catalog YAML (or JSON) text: `${ENV_VAR}` references in `apiKey`, `endpoint` and `headers` are
 * resolved from `env`; relative paths are resolved against `baseDir` when given. Throws one `ConfigError` (source = `source`) listing every problem with its dotted
 * path and line. Secret values never appear in issues.
 */
export function parseModelCatalog(
  text: string,
  env: Readonly<Record<string, string | undefined>>,
  source = 'model catalog',
  baseDir?: string,
): ModelCatalog {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      source,
      doc.errors.map((e) => ({
        path: '',
        message: e.message.split('\n')[0] ?? e.message,
        line: e.linePos?.[0]?.line ?? 0,
      })),
    );
  }
  /** Line of the node at `path`, or of its nearest existing ancestor (a missing key). */
  const lineOf = (path: readonly PropertyKey[]): number | undefined => {
    for (let n = path.length; n > 0; n -= 1) {
      const node = doc.getIn(path.slice(0, n) as unknown[], true) as
        { range?: [number, number, number] } | undefined;
      const offset = node?.range?.[0];
      if (offset !== undefined) {
        return lineCounter.linePos(offset).line;
      }
    }
    return undefined;
  };
  const raw: unknown = doc.toJS() ?? {};
  const issues: ConfigIssue[] = [];
  const withLine = (path: readonly PropertyKey[], message: string): ConfigIssue => {
    const line = lineOf(path);
    return line === undefined
      ? { path: dotted(path), message }
      : { path: dotted(path), message, line };
  };
  if (typeof raw === 'object' && raw !== null && 'models' in raw) {
    const models = raw.models;
    if (typeof models === 'object' && models !== null) {
      for (const [alias, entry] of Object.entries(models as Record<string, unknown>)) {
        if (typeof entry !== 'object' || entry === null) {
          continue;
        }
        const e = entry as Record<string, unknown>;
        for (const key of ['apiKey', 'endpoint'] as const) {
          if (typeof e[key] === 'string') {
            e[key] = substitute(e[key], env, (m) =>
              issues.push(withLine(['models', alias, key], m)),
            );
          }
        }
        if (typeof e.headers === 'object' && e.headers !== null) {
          const headers = e.headers as Record<string, unknown>;
          for (const [h, v] of Object.entries(headers)) {
            if (typeof v === 'string') {
              headers[h] = substitute(v, env, (m) =>
                issues.push(withLine(['models', alias, 'headers', h], m)),
              );
            }
          }
        }
      }
    }
  }
  const parsed = CatalogFile.safeParse(raw);
  if (!parsed.success) {
    // A missing ${ENV} already produced an issue at that path; skip the follow-on "too small".
    const seen = new Set(issues.map((i) => i.path));
    issues.push(
      ...parsed.error.issues
        .filter((i) => !seen.has(dotted(i.path)))
        .map((i) =>
          withLine(
            i.path,
            // A bad alias name: zod says "Invalid key in record"; the key's own message is clearer.
            (i.code === 'invalid_key' && i.issues[0]?.message) || i.message,
          ),
        ),
    );
  }
  if (issues.length > 0 || !parsed.success) {
    throw new ConfigError(source, issues);
  }
  return resolveCatalog(parsed.data, baseDir);
}

/**
 * Reads the catalog file at `path`, or returns {@link DEFAULT_CATALOG} when `path` is undefined.
 * Throws `ConfigError` when the file cannot be read or is invalid.
 */
export async function loadModelCatalog(
  path: string | undefined,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<ModelCatalog> {
  if (path === undefined) {
    return DEFAULT_CATALOG;
  }
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError(path, [{ path: '', message: 'cannot read the model catalog file' }], {
      cause: error,
    });
  }
  return parseModelCatalog(text, env, path, dirname(resolve(path)));
}

/** Credential values of a catalog (API keys, header values), for `redactSecrets(text, known)`. */
export function catalogSecrets(catalog: ModelCatalog): string[] {
  return Object.values(catalog.models).flatMap((e) => [
    ...(e.apiKey === undefined ? [] : [e.apiKey]),
    ...Object.values(e.headers),
  ]);
}

/**
 * Harness of the model-behaviour suite: the real agent loop and tools over a real Docker sandbox and a
 * real git workspace (the calc fixture), with the real ModelManager and HTTP providers talking to a model
 * stand-in served by nock. The stand-in answers each request from a function of the request (so a case
 * can answer in any dialect, cut answers off, or refuse prompts that do not fit), counts prompt tokens
 * with a tokenizer stand-in (a fixed number of characters per token) and refuses, as vLLM does, a prompt
 * plus `max_tokens` larger than its context.
 */
import { randomUUID } from 'node:crypto';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import nock from 'nock';
import type { z } from 'zod';
import { runAgent, type AgentOutcome } from '../../src/agents/agent-loop.js';
import type { PairRole } from '../../src/agents/agent-models.js';
import type { ToolContext } from '../../src/agents/agent-tools.js';
import { buildRepoMap } from '../../src/agents/repo-map.js';
import { runSuite } from '../../src/agents/run-suite.js';
import { sessionModels } from '../../src/agents/session-models.js';
import { loadPolicy } from '../../src/config/load-policy.js';
import type { RepoPolicy } from '../../src/config/repo-policy.js';
import { GitWorkspace } from '../../src/git/git-workspace.js';
import { parseModelCatalog } from '../../src/llm/catalog.js';
import { ModelManager } from '../../src/llm/model-manager.js';
import type { ModelSession } from '../../src/llm/model-session.js';
import { createLogger } from '../../src/log/logger.js';
import type { SharedSandbox } from '../engine/engine-harness.js';
import { makeLocalRepo } from '../engine/local-repo.js';
import type { JsonBody } from '../llm/nock-helpers.js';
import type { Call } from './dialects.js';

export const MODEL_SERVER = 'http://model.test:8000';
export const OLLAMA_SERVER = 'http://ollama.test:11434';

/** What the stand-in answers to one request. */
export type Reply =
  | {
      /** Answer text (tool calls written as text go here). */
      content?: string;
      /** Native tool calls (`tool_calls` / Ollama `tool_calls`). */
      calls?: Call[];
      /** `length`: the answer stopped at the output limit. */
      finish?: 'stop' | 'length';
    }
  | { status: number; body: unknown };

/** Requests the stand-in received, with its own token counts. */
export interface ModelServerLog {
  bodies: JsonBody[];
  /** Prompt tokens of each request by the stand-in tokenizer. */
  promptTokens: number[];
  /** Prompt tokens + the request's output cap, per request. */
  requestTokens: number[];
}

/** Options of {@link modelServer}. */
export interface ModelServerOptions {
  /** `openai` (`/v1/chat/completions`) or `ollama` (`/api/chat`). */
  api?: 'openai' | 'ollama';
  contextSize: number;
  /** Characters per token of the stand-in tokenizer (default 3.5). */
  charsPerToken?: number;
  /** The answer to the `n`-th request (0-based). */
  answer: (body: JsonBody, n: number) => Reply;
}

/** Tokens of a request by the stand-in: text of messages and tools, plus 6 per message. */
export function standInTokens(body: JsonBody, charsPerToken: number): number {
  const messages = body.messages as JsonBody[];
  const chars =
    messages.reduce(
      (n, m) =>
        n +
        String(m.content ?? '').length +
        (m.tool_calls ? JSON.stringify(m.tool_calls).length : 0),
      0,
    ) + (body.tools ? JSON.stringify(body.tools).length : 0);
  return Math.ceil(chars / charsPerToken) + 6 * messages.length;
}

/** Registers the stand-in (until `nock.cleanAll()`); returns its log. */
export function modelServer(options: ModelServerOptions): ModelServerLog {
  const log: ModelServerLog = { bodies: [], promptTokens: [], requestTokens: [] };
  const ollama = options.api === 'ollama';
  nock(ollama ? OLLAMA_SERVER : MODEL_SERVER)
    .persist()
    .post(ollama ? '/api/chat' : '/v1/chat/completions')
    .reply((_uri, raw) => {
      const body = raw as JsonBody;
      const n = log.bodies.length;
      log.bodies.push(body);
      const prompt = standInTokens(body, options.charsPerToken ?? 3.5);
      const cap = Number(ollama ? body.options.num_predict : body.max_tokens);
      log.promptTokens.push(prompt);
      log.requestTokens.push(prompt + cap);
      if (prompt + cap > options.contextSize) {
        return [
          400,
          {
            object: 'error',
            message: `This model's maximum context length is ${options.contextSize} tokens. However, you requested ${prompt + cap} tokens (${prompt} in the messages, ${cap} in the completion). Please reduce the length of the messages or completion.`,
            type: 'BadRequestError',
            param: null,
            code: 400,
          },
        ];
      }
      const reply = options.answer(body, n);
      if ('status' in reply) {
        return [reply.status, reply.body as nock.Body];
      }
      return [200, ollama ? ollamaAnswer(reply, prompt) : openAiAnswer(reply, prompt)];
    });
  return log;
}

function openAiAnswer(reply: Exclude<Reply, { status: number }>, prompt: number): JsonBody {
  return {
    id: `chatcmpl-${randomUUID()}`,
    object: 'chat.completion',
    created: 1,
    model: 'stand-in',
    choices: [
      {
        index: 0,
        finish_reason: reply.finish ?? (reply.calls ? 'tool_calls' : 'stop'),
        message: {
          role: 'assistant',
          content: reply.content ?? null,
          ...(reply.calls
            ? {
                tool_calls: reply.calls.map((c, i) => ({
                  id: `call_${i}`,
                  type: 'function',
                  function: { name: c.name, arguments: JSON.stringify(c.arguments) },
                })),
              }
            : {}),
        },
      },
    ],
    usage: { prompt_tokens: prompt, completion_tokens: 20, total_tokens: prompt + 20 },
  };
}

function ollamaAnswer(reply: Exclude<Reply, { status: number }>, prompt: number): JsonBody {
  return {
    model: 'stand-in',
    created_at: '2026-11-29T00:00:00Z',
    message: {
      role: 'assistant',
      content: reply.content ?? '',
      ...(reply.calls
        ? {
            tool_calls: reply.calls.map((c) => ({
              function: { name: c.name, arguments: c.arguments },
            })),
          }
        : {}),
    },
    done: true,
    done_reason: reply.finish ?? 'stop',
    prompt_eval_count: prompt,
    eval_count: 20,
  };
}

/** A catalog with `model` (openai) and `ollama` aliases on the stand-ins, and extra keys for both. */
export function behaviourCatalog(extra: Record<string, unknown> = {}) {
  const common = { remote: false, contextSize: 8192, maxOutputTokens: 1024, ...extra };
  return parseModelCatalog(
    JSON.stringify({
      models: {
        model: { provider: 'openai', model: 'stand-in', endpoint: `${MODEL_SERVER}/v1`, ...common },
        // The alias the calc fixture's policy names, for whole pair runs.
        script: {
          provider: 'openai',
          model: 'stand-in',
          endpoint: `${MODEL_SERVER}/v1`,
          ...common,
        },
        ollama: { provider: 'ollama', model: 'stand-in', endpoint: OLLAMA_SERVER, ...common },
      },
    }),
    {},
  );
}

/** One prepared workspace of the calc fixture over the shared sandbox. */
export interface BehaviourRun {
  workspace: GitWorkspace;
  policy: RepoPolicy;
  tools(role: PairRole): ToolContext;
  /** Content of a workspace file, or undefined when it does not exist. */
  read(path: string): Promise<string | undefined>;
  close(): Promise<void>;
}

const logger = createLogger({ level: 'silent' });

/** A fresh calc repository checked out into the shared sandbox's work tree. */
export async function prepareWorkspace(shared: SharedSandbox): Promise<BehaviourRun> {
  const local = await makeLocalRepo('one-cycle.yaml');
  for (const entry of await readdir(shared.workTree)) {
    await rm(join(shared.workTree, entry), { recursive: true, force: true });
  }
  const workspace = await GitWorkspace.open({
    remote: local.repo,
    branch: 'tandem/8-multiply',
    gitDir: join(local.dir, 'git'),
    workTree: shared.workTree,
  });
  const { policy } = await loadPolicy((p) =>
    readFile(join(local.repo, p), 'utf8').catch(() => undefined),
  );
  return {
    workspace,
    policy,
    tools: (role) => ({
      role,
      testGlobs: policy.sandbox.testGlobs,
      files: shared.sandbox,
      listFiles: (dir) => workspace.listFiles(dir),
      grep: (pattern, max) => workspace.grep(pattern, max),
      repoMap: async () =>
        buildRepoMap(await workspace.listFiles(), (p) => shared.sandbox.readFile(p)),
      runTests: () =>
        runSuite({
          sandbox: shared.sandbox,
          workTree: shared.workTree,
          command: policy.sandbox.test,
          timeoutMs: policy.sandbox.commandTimeoutSeconds * 1000,
        }),
    }),
    read: (path) => readFile(join(shared.workTree, path), 'utf8').catch(() => undefined),
    close: () => rm(local.dir, { recursive: true, force: true }),
  };
}

/** Options of {@link runPhase}. */
export interface RunPhaseOptions<T> {
  run: BehaviourRun;
  role: PairRole;
  /** Catalog alias serving the role: `model` (openai) or `ollama`. */
  alias: 'model' | 'ollama';
  catalogExtra?: Record<string, unknown>;
  system: string;
  task: string;
  resultSchema: z.ZodType<T>;
  maxSteps?: number;
}

/** Runs one agent attempt of `role` with the real loop and tools; returns its outcome and session. */
export async function runPhase<T>(
  options: RunPhaseOptions<T>,
): Promise<{ outcome: AgentOutcome<T>; session: ModelSession }> {
  const manager = new ModelManager({
    catalog: behaviourCatalog(options.catalogExtra),
    logger,
    sleep: () => Promise.resolve(),
  });
  let session: ModelSession | undefined;
  const models = sessionModels(() => {
    session = manager.forTicket({
      policy: {
        models: {
          ...options.run.policy.models,
          [options.role]: { alias: options.alias, escalation: [] },
        },
        budgets: { tokens: 10_000_000, costUsd: 0 },
      },
    });
    return session;
  });
  try {
    const outcome = await runAgent({
      models,
      role: options.role,
      step: `${options.role === 'tester' ? 'red' : 'green'}-1`,
      system: options.system,
      user: options.task,
      tools: options.run.tools(options.role),
      resultSchema: options.resultSchema,
      maxSteps: options.maxSteps ?? 12,
      loopLimit: 3,
    });
    return { outcome, session: session! };
  } finally {
    await manager.close();
  }
}

/** The text of the last two messages of a request body: the latest result and any correction after it. */
export function lastUserText(body: JsonBody): string {
  const messages = body.messages as JsonBody[];
  return messages
    .slice(-2)
    .map((m) => String(m.content ?? ''))
    .join('\n');
}

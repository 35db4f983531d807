import { describe, expect, it } from 'vitest';
import { RepoPolicy } from '../config/repo-policy.js';
import { z } from 'zod';
import {
  BudgetExceededError,
  CircuitOpenError,
  ConfigError,
  InvalidModelOutputError,
  ModelCallAbortedError,
  ModelCallError,
} from '../errors/index.js';
import { parseModelCatalog, type ModelCatalog } from './catalog.js';
import { MemoryModelCallRecorder } from './model-call-recorder.js';
import { ModelManager, type ModelManagerOptions } from './model-manager.js';
import { ScriptedProvider, parseModelScript } from './providers/scripted-provider.js';
import { createLogger } from '../log/logger.js';

const catalog: ModelCatalog = parseModelCatalog(
  `
includeDefaults: false
models:
  small: { provider: scripted, model: s, script: x }
  medium: { provider: scripted, model: m, script: x }
  large: { provider: scripted, model: l, script: x, priceInPerMTok: 1000, priceOutPerMTok: 2000, remote: true }
  slow: { provider: scripted, model: t, script: x, timeoutSeconds: 1 }
`,
  {},
);

const policy = (models: unknown = {}, budgets: unknown = {}) =>
  RepoPolicy.parse({
    models: {
      privacy: 'any',
      pm: { alias: 'small' },
      architect: { alias: 'small' },
      developer: { alias: 'small', escalation: ['medium', 'large'] },
      tester: { alias: 'small' },
      reviewer: { alias: 'small' },
      ...(models as object),
    },
    budgets,
  });

/** A manager whose aliases replay `scripts[alias]` (YAML). */
function setup(scripts: Record<string, string>, options: Partial<ModelManagerOptions> = {}) {
  const providers = new Map<string, ScriptedProvider>();
  const recorder = new MemoryModelCallRecorder();
  const delays: number[] = [];
  const manager = new ModelManager({
    catalog,
    recorder,
    providerFactory: (alias) => {
      const p = new ScriptedProvider({
        alias,
        responses: parseModelScript(scripts[alias] ?? '[]'),
      });
      providers.set(alias, p);
      return Promise.resolve(p);
    },
    sleep: (ms) => {
      delays.push(ms);
      return Promise.resolve();
    },
    random: () => 0.5,
    ...options,
  });
  return { manager, recorder, providers, delays };
}

const ask = (content = 'go') => ({ messages: [{ role: 'user' as const, content }] });
const Verdict = z.object({ done: z.boolean() });

describe('ModelManager', () => {
  it('walks the escalation chain in order and resumes from a stored position', async () => {
    const { manager } = setup({
      small: '[{ text: s }]',
      medium: '[{ text: m }]',
      large: '[{ text: l }]',
    });
    const session = manager.forTicket({ policy: policy() });
    const seen: string[] = [];
    for (;;) {
      const { response, alias } = await session.complete('developer', ask());
      seen.push(`${alias}:${response.text}`);
      if (session.escalate('developer') === null) {
        break;
      }
    }
    expect(seen).toEqual(['small:s', 'medium:m', 'large:l']);
    expect(session.escalate('developer')).toBeNull();
    expect(session.escalationState()).toMatchObject({ developer: 2, tester: 0 });
    const resumed = manager.forTicket({ policy: policy(), escalation: { developer: 1 } });
    expect(resumed.currentAlias('developer')).toBe('medium');
    expect(resumed.currentAlias('tester')).toBe('small');
  });

  it('refuses a policy with unknown or (local-only) remote aliases', () => {
    const { manager } = setup({});
    expect(() => manager.forTicket({ policy: policy({ tester: { alias: 'ghost' } }) })).toThrow(
      ConfigError,
    );
    const local = policy({ privacy: 'local-only' });
    expect(() => manager.forTicket({ policy: local })).toThrow(/escalation\[1\]/);
  });

  it('repairs invalid JSON once, showing the validation error, and records both calls', async () => {
    const { manager, recorder, providers } = setup({
      small: `
- text: '{"done": tru'
- match: { contains: "was not valid" }
  text: '<think>{"done": "reasoning is never the answer"}</think>{"done": true}'
`,
    });
    const session = manager.forTicket({ policy: policy(), ticketId: 7, repositoryId: 3 });
    const result = await session.completeStructured('tester', ask(), Verdict);
    expect(result).toMatchObject({ value: { done: true }, repaired: true, alias: 'small' });
    expect(result.response.reasoning).toBe('{"done": "reasoning is never the answer"}');
    const sent = providers.get('small')!.received;
    expect(sent[0]?.jsonSchema).toMatchObject({
      type: 'object',
      properties: { done: { type: 'boolean' } },
    });
    expect(sent[1]?.messages.at(-2)).toEqual({ role: 'assistant', content: '{"done": tru' });
    expect(sent[1]?.messages.at(-1)?.content).toMatch(/not valid JSON/);
    expect(recorder.rows.map((r) => [r.outcome, r.role, r.ticketId, r.repositoryId])).toEqual([
      ['invalid_output', 'tester', 7, 3],
      ['ok', 'tester', 7, 3],
    ]);
  });

  it('throws InvalidModelOutputError when the repair is still invalid', async () => {
    const { manager } = setup({
      small: `[{ json: { done: "yes" } }, { json: { finished: true } }]`,
    });
    const session = manager.forTicket({ policy: policy() });
    const error = await session.completeStructured('pm', ask(), Verdict).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidModelOutputError);
    expect((error as InvalidModelOutputError).code).toBe('model_output_invalid');
    expect((error as InvalidModelOutputError).issues[0]).toMatch(/^done: /);
  });

  it('enforces the token budget with a typed error before calling', async () => {
    const { manager, providers } = setup({
      small: '[{ text: a, usage: { inputTokens: 500, outputTokens: 100 }, times: always }]',
    });
    const session = manager.forTicket({ policy: policy({}, { tokens: 1_000 }) });
    await session.complete('developer', ask());
    await session.complete('developer', ask());
    const error = await session.complete('developer', ask()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BudgetExceededError);
    expect(error).toMatchObject({ code: 'budget_exceeded', budget: 'tokens', used: 1_200 });
    expect(providers.get('small')!.received).toHaveLength(2);
    expect(session.usage()).toMatchObject({ totalTokens: 1_200, calls: 2 });
    expect(session.usage().byRole.developer.inputTokens).toBe(1_000);
  });

  it('enforces the cost budget from catalog prices, counting what was used before', async () => {
    const { manager, recorder } = setup({
      large: '[{ text: a, usage: { inputTokens: 1000, outputTokens: 500 }, times: always }]',
    });
    const p = policy({ pm: { alias: 'large' } }, { costUsd: 3 });
    const session = manager.forTicket({
      policy: p,
      used: { inputTokens: 0, outputTokens: 0, costUsd: 0.5 },
    });
    await session.complete('pm', ask()); // 1000 × 1000/1M + 500 × 2000/1M = $2
    expect(recorder.rows[0]?.costUsd).toBeCloseTo(2);
    expect(session.usage().costUsd).toBeCloseTo(2.5);
    await session.complete('pm', ask()); // 4.5 ≥ 3 afterwards
    await expect(session.complete('pm', ask())).rejects.toMatchObject({
      code: 'budget_exceeded',
      budget: 'costUsd',
    });
  });

  it('retries transient errors with growing backoff, not permanent ones', async () => {
    const { manager, recorder, delays } = setup({
      small: `
- error: { message: overloaded, status: 503 }
- error: { message: reset }
- text: ok
- error: { message: bad request, status: 400, transient: false }
`,
    });
    const session = manager.forTicket({ policy: policy() });
    expect((await session.complete('pm', ask())).response.text).toBe('ok');
    expect(delays).toEqual([375, 750]); // 500 × 2^n × (0.5 + 0.5/2)
    expect(recorder.rows.map((r) => r.outcome)).toEqual(['error', 'error', 'ok']);
    expect(recorder.rows[0]?.errorCode).toBe('model_call_failed');
    await expect(session.complete('pm', ask())).rejects.toMatchObject({
      code: 'model_call_failed',
      transient: false,
    });
    expect(delays).toHaveLength(2);
  });

  it('warns of each retry with the HTTP status and the error message', async () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'warn', destination: { write: (l) => lines.push(l) } });
    const { manager } = setup(
      {
        small: `
- error: { message: upstream overloaded, status: 503 }
- error: { message: connection reset }
- text: ok
`,
      },
      { logger },
    );
    await manager.forTicket({ policy: policy() }).complete('pm', ask());
    const warnings = lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.msg === 'model call failed, retrying');
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatchObject({ alias: 'small', role: 'pm', attempt: 1, status: 503 });
    expect(warnings[0]!.error).toContain('upstream overloaded');
    expect(warnings[1]).not.toHaveProperty('status');
    expect(warnings[1]!.error).toContain('connection reset');
  });

  it('opens the circuit after repeated failures, fails fast, then lets one trial through', async () => {
    let now = 0;
    const { manager, providers, recorder } = setup(
      { small: '[{ error: { message: down }, times: 2 }, { text: back }]' },
      {
        breaker: { failureThreshold: 2, cooldownMs: 1_000, now: () => now },
        retry: { attempts: 1 },
      },
    );
    const session = manager.forTicket({ policy: policy() });
    await expect(session.complete('pm', ask())).rejects.toBeInstanceOf(ModelCallError);
    await expect(session.complete('pm', ask())).rejects.toBeInstanceOf(ModelCallError);
    expect(manager.circuitState('small')).toBe('open');
    const open = await session.complete('pm', ask()).catch((e: unknown) => e);
    expect(open).toBeInstanceOf(CircuitOpenError);
    expect(open).toMatchObject({ code: 'circuit_open', retryAfterMs: 1_000 });
    expect(providers.get('small')!.received).toHaveLength(2);
    expect(recorder.rows.at(-1)?.outcome).toBe('circuit_open');
    now = 1_000;
    expect(manager.circuitState('small')).toBe('half-open');
    expect((await session.complete('pm', ask())).response.text).toBe('back');
    expect(manager.circuitState('small')).toBe('closed');
  });

  it('aborts a running call through the signal without counting a failure', async () => {
    const { manager, recorder } = setup({ small: '[{ text: late, latencyMs: 5000 }]' });
    const session = manager.forTicket({ policy: policy() });
    const controller = new AbortController();
    const pending = session.complete('pm', { ...ask(), signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await expect(pending).rejects.toBeInstanceOf(ModelCallAbortedError);
    expect(recorder.rows.map((r) => r.outcome)).toEqual(['aborted']);
    expect(manager.circuitState('small')).toBe('closed');
  });

  it('turns a call slower than the alias timeout into a timeout error', async () => {
    const { manager, recorder } = setup(
      { slow: '[{ text: late, latencyMs: 3000 }]' },
      { retry: { attempts: 1 } },
    );
    const session = manager.forTicket({ policy: policy({ pm: { alias: 'slow' } }) });
    const error = await session.complete('pm', ask()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelCallError);
    expect(error).toMatchObject({ transient: true });
    expect(recorder.rows.map((r) => r.outcome)).toEqual(['timeout']);
  });
});

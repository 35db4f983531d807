import { describe, expect, it } from 'vitest';
import type { AgentModels } from '../agent-models.js';
import { attemptTemperature, withTemperature } from './temperature.js';

describe('attemptTemperature', () => {
  it('starts at the alias’s own temperature and rises per retry and per sample, up to 1', () => {
    expect(attemptTemperature(0)).toBe(0.2);
    expect(attemptTemperature(1)).toBe(0.5);
    expect(attemptTemperature(0, 1)).toBe(0.4);
    expect(attemptTemperature(5)).toBe(1);
    expect(attemptTemperature(0, 0, 0.7)).toBe(0.7);
    expect(attemptTemperature(1, 0, 0)).toBe(0.3);
    // An alias configured hotter than 1 is never cooled down.
    expect(attemptTemperature(2, 0, 1.2)).toBe(1.2);
  });
});

describe('withTemperature', () => {
  it('sets the temperature of requests that set none and keeps the others', async () => {
    const seen: (number | undefined)[] = [];
    const models = {
      alias: () => 'a',
      complete: (_role, request) => {
        seen.push(request.temperature);
        return Promise.resolve({
          text: '',
          toolCalls: [],
          reasoning: '',
          usage: { inputTokens: 0, outputTokens: 0 },
          latencyMs: 0,
        });
      },
      escalate: () => null,
      usage: () => ({ inputTokens: 0, outputTokens: 0, costUsd: 0, latencyMs: 0, byRole: {} }),
      restoreUsage: () => undefined,
      settings: () => ({ samples: 2 }),
    } satisfies AgentModels;
    const hot = withTemperature(models, 0.5);
    await hot.complete('developer', { messages: [] });
    await hot.complete('developer', { messages: [], temperature: 0 });
    expect(seen).toEqual([0.5, 0]);
    expect(hot.settings?.('developer')).toEqual({ samples: 2 });
  });
});

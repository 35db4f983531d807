import { describe, expect, it } from 'vitest';
import { BASE_CHARS_PER_TOKEN, MESSAGE_OVERHEAD, TokenCounter } from './token-counter.js';

const msg = (content: string) => ({ role: 'user' as const, content });

describe('TokenCounter', () => {
  it('estimates from characters before any calibration', async () => {
    const counter = new TokenCounter();
    expect(counter.exact).toBe(false);
    expect(await counter.message(msg('x'.repeat(300)))).toBe(
      300 / BASE_CHARS_PER_TOKEN + MESSAGE_OVERHEAD,
    );
  });

  it('takes a higher server count at once and a lower one slowly, within bounds', () => {
    const counter = new TokenCounter();
    counter.observe(1_000, 1_500);
    expect(counter.calibration).toBe(1.5);
    counter.observe(1_000, 1_000);
    expect(counter.calibration).toBeCloseTo(1.4);
    counter.observe(1_000, 100_000);
    expect(counter.calibration).toBe(4);
  });

  it('ignores reports far below the count (a prompt prefix the server had cached)', () => {
    const counter = new TokenCounter();
    counter.observe(1_000, 120);
    expect(counter.calibration).toBe(1);
  });

  it('scales counts by the calibration', async () => {
    const counter = new TokenCounter();
    counter.observe(100, 200);
    expect(await counter.message(msg('x'.repeat(300)))).toBe((100 + MESSAGE_OVERHEAD) * 2);
  });

  it('uses the tokenizer, caches its counts, and falls back to the estimate when it fails', async () => {
    const asked: string[] = [];
    const errors: unknown[] = [];
    const counter = new TokenCounter({
      tokenize: (text) => {
        asked.push(text);
        return text === 'boom' ? Promise.reject(new Error('no /tokenize')) : Promise.resolve(7);
      },
      onTokenizerError: (e) => errors.push(e),
    });
    expect(counter.exact).toBe(true);
    expect(await counter.message(msg('hello'))).toBe(7 + MESSAGE_OVERHEAD);
    expect(await counter.message(msg('hello'))).toBe(7 + MESSAGE_OVERHEAD);
    expect(asked).toEqual(['hello']);
    expect(await counter.message(msg('boom'))).toBe(2 + MESSAGE_OVERHEAD);
    expect(counter.exact).toBe(false);
    expect(errors).toHaveLength(1);
  });
});

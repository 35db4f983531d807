import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, ModelCallError, ScriptExhaustedError } from '../../errors/index.js';
import { ScriptedProvider, loadModelScript, parseModelScript } from './scripted-provider.js';

const SESSION = `
# A Developer/Tester session: the tester writes a test, the developer misbehaves once, then repairs.
- match: { role: tester, step: write-test }
  reasoning: The first criterion is addition.
  toolCalls:
    - name: write_file
      arguments: { path: test/add.spec.ts, content: "expect(add(1, 2)).toBe(3);\\n" }
- match: { role: tester, step: write-test }
  json: { done: true, summary: test written }
- match: { role: developer }
  text: '{"done": tru'
- match: { role: developer, contains: not valid }
  text: "<think>I forgot an e.</think>{\\"done\\": true}"
  usage: { inputTokens: 100, outputTokens: 7 }
`;

describe('ScriptedProvider', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tandem-script-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('replays a session by role, step and message text, deterministically', async () => {
    const path = join(dir, 'session.yaml');
    await writeFile(path, SESSION);
    const responses = await loadModelScript(path);
    const run = async () => {
      const p = new ScriptedProvider({ alias: 'script', responses });
      const user = (content: string) => [{ role: 'user' as const, content }];
      const a = await p.complete({
        messages: user('write a test'),
        role: 'tester',
        step: 'write-test',
      });
      const b = await p.complete({
        messages: user('go on'),
        role: 'tester',
        step: 'write-test',
        jsonSchema: { type: 'object' },
      });
      const c = await p.complete({
        messages: user('implement'),
        role: 'developer',
        jsonSchema: {},
      });
      const d = await p.complete({
        messages: user('your answer was not valid JSON'),
        role: 'developer',
        jsonSchema: {},
      });
      return { a, b, c, d, pending: p.pending };
    };
    const first = await run();
    expect(first.a.toolCalls).toEqual([
      {
        id: 'call_0_0',
        name: 'write_file',
        arguments: { path: 'test/add.spec.ts', content: 'expect(add(1, 2)).toBe(3);\n' },
      },
    ]);
    expect(first.a.reasoning).toBe('The first criterion is addition.');
    expect(first.b.json).toEqual({ done: true, summary: 'test written' });
    expect(first.c.text).toBe('{"done": tru');
    expect(first.c.json).toBeUndefined();
    expect(first.d.text).toBe('{"done": true}');
    expect(first.d.reasoning).toBe('I forgot an e.');
    expect(first.d.json).toEqual({ done: true });
    expect(first.d.usage).toEqual({ inputTokens: 100, outputTokens: 7 });
    expect(first.pending).toBe(0);
    const second = await run();
    const strip = (r: typeof first) =>
      [r.a, r.b, r.c, r.d].map(({ latencyMs: _l, ...rest }) => rest);
    expect(strip(second)).toEqual(strip(first));
  });

  it('throws ScriptExhaustedError when nothing matches', async () => {
    const p = new ScriptedProvider({ alias: 's', responses: parseModelScript('[{ text: hi }]') });
    await p.complete({ messages: [{ role: 'user', content: 'x' }] });
    await expect(p.complete({ messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(
      ScriptExhaustedError,
    );
  });

  it('simulates failures and latency', async () => {
    const p = new ScriptedProvider({
      alias: 's',
      responses: parseModelScript(
        '{ responses: [{ error: { message: boom, status: 503 } }, { text: ok, latencyMs: 30, times: always }] }',
      ),
    });
    const msg = { messages: [{ role: 'user' as const, content: 'x' }] };
    const err = await p.complete(msg).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelCallError);
    expect(err).toMatchObject({ transient: true, status: 503 });
    const ok = await p.complete(msg);
    expect(ok.latencyMs).toBeGreaterThanOrEqual(25);
    await p.complete(msg);
    expect(p.pending).toBe(1);
  });

  it('answers a repeated conversation turn as the first time, without using up entries', async () => {
    const p = new ScriptedProvider({
      alias: 's',
      responses: parseModelScript(`
- { match: { step: red-1 }, text: write the test }
- { match: { step: red-1 }, error: { message: flaky } }
- { match: { step: red-1 }, text: finish }
- { match: { step: red-1 }, text: next attempt }
`),
    });
    const user = { role: 'user' as const, content: 'go' };
    const turn0 = { step: 'red-1', conversation: 'job/red-1/0.0', messages: [user] };
    const turn1 = {
      ...turn0,
      messages: [user, { role: 'assistant' as const, content: 'write the test' }, user],
    };
    expect((await p.complete(turn0)).text).toBe('write the test');
    // A transient failure is not remembered: the retry of turn 1 moves on to the next entry.
    await expect(p.complete(turn1)).rejects.toBeInstanceOf(ModelCallError);
    expect((await p.complete(turn1)).text).toBe('finish');
    // The job is retried and resumes the same attempt: the same turns, the same answers.
    expect((await p.complete(turn0)).text).toBe('write the test');
    expect((await p.complete(turn1)).text).toBe('finish');
    expect(p.pending).toBe(1);
    // A new attempt is a new conversation and takes the next entry.
    expect((await p.complete({ ...turn0, conversation: 'job/red-1/0.1' })).text).toBe(
      'next attempt',
    );
    // Requests outside a conversation keep the plain in-order behaviour.
    await expect(p.complete({ step: 'red-1', messages: [user] })).rejects.toBeInstanceOf(
      ScriptExhaustedError,
    );
  });

  it('rejects an invalid script with paths', () => {
    const bad = () => parseModelScript('- text: a\n  json: { a: 1 }\n- times: 0\n');
    expect(bad).toThrow(ConfigError);
    try {
      bad();
    } catch (error) {
      expect((error as ConfigError).issues.map((i) => i.path)).toEqual(['[0]', '[1].times']);
    }
  });
});

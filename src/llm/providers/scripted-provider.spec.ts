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

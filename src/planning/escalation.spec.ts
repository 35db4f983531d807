/**
 * PM and Architect use their escalation chains on invalid output: the real ModelManager and session with
 * scripted aliases (`weak` answers invalidly, `strong` validly).
 */
import { describe, expect, it } from 'vitest';
import { RepoPolicy } from '../config/repo-policy.js';
import { InvalidModelOutputError, InvalidPlanError } from '../errors/index.js';
import { parseModelCatalog } from '../llm/catalog.js';
import { ModelManager } from '../llm/model-manager.js';
import { parseModelScript, ScriptedProvider } from '../llm/providers/scripted-provider.js';
import { planTickets } from './architect-agent.js';
import { decideOnRequest } from './pm-agent.js';

const catalog = parseModelCatalog(
  `
includeDefaults: false
models:
  weak: { provider: scripted, model: w, script: x }
  strong: { provider: scripted, model: s, script: x }
`,
  {},
);

function session(scripts: Record<string, string>, chain: string[] = ['strong']) {
  const providers = new Map<string, ScriptedProvider>();
  const manager = new ModelManager({
    catalog,
    providerFactory: (alias) => {
      const p = new ScriptedProvider({
        alias,
        responses: parseModelScript(scripts[alias] ?? '[]'),
      });
      providers.set(alias, p);
      return Promise.resolve(p);
    },
  });
  const roles = { alias: 'weak', escalation: chain };
  const others = { alias: 'weak' };
  const policy = RepoPolicy.parse({
    models: { pm: roles, architect: roles, developer: others, tester: others, reviewer: others },
  });
  return { model: manager.forTicket({ policy }), providers };
}

const ISSUE = {
  issue: { number: 3, title: 'CSV export', body: 'Export the report.' },
  comments: [],
};
const SPEC = {
  action: 'spec',
  spec: {
    title: 'CSV export',
    slug: 'csv-export',
    summary: 'Export rows.',
    userStories: ['As a user I export'],
    acceptanceCriteria: ['exportCsv writes a header'],
  },
};
const ticket = (key: string, dependsOn: string[]) => ({
  key,
  title: `Ticket ${key}`,
  description: 'd',
  acceptanceCriteria: ['it works'],
  dependsOn,
});
const PLAN_INPUT = {
  issue: { number: 3, title: 'CSV' },
  specMarkdown: '# CSV',
  repoMap: 'calc.py',
};

describe('planning escalation', () => {
  it('moves the PM to the next alias when an answer stays invalid after the repair', async () => {
    const { model, providers } = session({
      weak: '[{ text: "not json" }, { text: "still not json" }]',
      strong: JSON.stringify([{ json: SPEC }]),
    });
    const decision = await decideOnRequest(model, ISSUE);
    expect(decision).toMatchObject({ action: 'spec', spec: { slug: 'csv-export' } });
    expect(model.currentAlias('pm')).toBe('strong');
    expect(providers.get('weak')!.received).toHaveLength(2);
  });

  it('throws the last invalid-output error when the PM’s chain is exhausted', async () => {
    const { model } = session({ weak: '[{ text: a }, { text: b }]' }, []);
    await expect(decideOnRequest(model, ISSUE)).rejects.toBeInstanceOf(InvalidModelOutputError);
  });

  it('escalates the Architect when its plan keeps a dependency cycle after the repair', async () => {
    const cyclic = { json: { tickets: [ticket('A', ['B']), ticket('B', ['A'])] } };
    const { model, providers } = session({
      weak: JSON.stringify([cyclic, cyclic]),
      strong: JSON.stringify([{ json: { tickets: [ticket('A', []), ticket('B', ['A'])] } }]),
    });
    const planned = await planTickets(model, PLAN_INPUT);
    expect(planned.map((t) => t.key)).toEqual(['A', 'B']);
    // The stronger alias plans afresh: it never sees the weak alias's plan.
    const asked = providers.get('strong')!.received[0]!;
    expect(asked.messages).toHaveLength(2);
  });

  it('throws InvalidPlanError when every alias of the Architect’s chain plans a cycle', async () => {
    const cyclic = { json: { tickets: [ticket('A', ['A'])] } };
    const { model } = session({
      weak: JSON.stringify([cyclic, cyclic]),
      strong: JSON.stringify([cyclic, cyclic]),
    });
    await expect(planTickets(model, PLAN_INPUT)).rejects.toBeInstanceOf(InvalidPlanError);
  });
});

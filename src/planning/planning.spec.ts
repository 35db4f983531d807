import { describe, expect, it } from 'vitest';
import { PmDecision } from './pm-decision.js';
import { renderSpec } from './render-spec.js';
import { TicketPlan, orderTicketPlan } from './ticket-plan.js';

const ticket = (key: string, dependsOn: string[] = []) => ({
  key,
  title: `Ticket ${key}`,
  description: 'd',
  acceptanceCriteria: ['it works'],
  dependsOn,
});

describe('orderTicketPlan', () => {
  it('orders tickets after their dependencies, keeping the architect order otherwise', () => {
    const plan = TicketPlan.parse({ tickets: [ticket('B', ['A']), ticket('A'), ticket('C')] });
    const result = orderTicketPlan(plan);
    expect(result.ok && result.tickets.map((t) => t.key)).toEqual(['A', 'B', 'C']);
  });

  it('reports cycles, unknown and self dependencies instead of ordering', () => {
    expect(
      orderTicketPlan(TicketPlan.parse({ tickets: [ticket('A', ['B']), ticket('B', ['A'])] })),
    ).toEqual({
      ok: false,
      problems: ['dependency cycle among A, B'],
    });
    const bad = orderTicketPlan(TicketPlan.parse({ tickets: [ticket('A', ['A', 'Z'])] }));
    expect(bad).toEqual({
      ok: false,
      problems: ['A depends on itself', 'A depends on unknown ticket Z'],
    });
  });
});

describe('PM decision and spec rendering', () => {
  it('rejects a spec without acceptance criteria and a non-kebab slug', () => {
    const r = PmDecision.safeParse({
      action: 'spec',
      spec: {
        title: 'Export',
        slug: 'CSV Export',
        summary: 's',
        userStories: ['u'],
        acceptanceCriteria: [],
      },
    });
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.path.join('.'))).toEqual(
      expect.arrayContaining(['spec.slug', 'spec.acceptanceCriteria']),
    );
  });

  it('renders numbered acceptance criteria and links the request', () => {
    const md = renderSpec(
      {
        title: 'CSV export',
        slug: 'csv-export',
        summary: 'Export rows.',
        userStories: ['As a user I export'],
        acceptanceCriteria: ['header row', 'quotes commas'],
        outOfScope: [],
        openQuestions: [],
      },
      12,
    );
    expect(md).toContain('Spec for #12.');
    expect(md).toContain('2. **AC2**: quotes commas');
    expect(md).toContain('_nothing listed_');
  });
});

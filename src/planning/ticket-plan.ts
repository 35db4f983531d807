/**
 * The Architect's output: tickets with acceptance criteria and dependencies, validated as a DAG.
 */
import { z } from 'zod';

const Line = z.string().trim().min(1).max(2_000);

export const PlannedTicket = z.object({
  /** Plan-local key used by `dependsOn`, e.g. `T1`. */
  key: z.string().regex(/^[A-Za-z0-9_-]{1,16}$/),
  title: z.string().trim().min(3).max(120),
  description: z.string().trim().min(1).max(8_000),
  acceptanceCriteria: z.array(Line).min(1).max(15),
  /** Keys of tickets that must be done first. */
  dependsOn: z.array(z.string()).max(15).default([]),
  /** Repository paths the Architect expects to change (hints, not limits). */
  likelyFiles: z.array(z.string().max(300)).max(30).default([]),
});
export type PlannedTicket = z.infer<typeof PlannedTicket>;

export const TicketPlan = z.object({ tickets: z.array(PlannedTicket).min(1).max(20) });
export type TicketPlan = z.infer<typeof TicketPlan>;

/**
 * Checks a plan's dependency graph and returns the tickets in dependency order (Kahn's algorithm, ties
 * broken by the Architect's order), or the problems found: duplicate keys, unknown or self dependencies,
 * and cycles (named by the keys left when no ticket is free).
 */
export function orderTicketPlan(
  plan: TicketPlan,
): { ok: true; tickets: PlannedTicket[] } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  const byKey = new Map<string, PlannedTicket>();
  for (const t of plan.tickets) {
    if (byKey.has(t.key)) {
      problems.push(`duplicate ticket key ${t.key}`);
    }
    byKey.set(t.key, t);
  }
  for (const t of plan.tickets) {
    for (const d of t.dependsOn) {
      if (d === t.key) {
        problems.push(`${t.key} depends on itself`);
      } else if (!byKey.has(d)) {
        problems.push(`${t.key} depends on unknown ticket ${d}`);
      }
    }
  }
  if (problems.length > 0) {
    return { ok: false, problems };
  }
  const done = new Set<string>();
  const ordered: PlannedTicket[] = [];
  while (ordered.length < byKey.size) {
    const next = [...byKey.values()].find(
      (t) => !done.has(t.key) && t.dependsOn.every((d) => done.has(d)),
    );
    if (next === undefined) {
      const stuck = [...byKey.keys()].filter((k) => !done.has(k));
      return { ok: false, problems: [`dependency cycle among ${stuck.join(', ')}`] };
    }
    done.add(next.key);
    ordered.push(next);
  }
  return { ok: true, tickets: ordered };
}

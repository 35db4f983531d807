import { describe, expect, it } from 'vitest';
import { createBodyBudget } from './body-budget.js';

describe('createBodyBudget', () => {
  it('admits up to maxBodies bodies and gives a slot back on release, once', () => {
    const budget = createBodyBudget({ maxBodies: 2, maxBytes: 100 });
    const a = budget.admit();
    const b = budget.admit();
    expect(a && b).toBeTruthy();
    expect(budget.admit()).toBeNull();
    a!.release();
    a!.release();
    expect(budget.inFlight().bodies).toBe(1);
    expect(budget.admit()).not.toBeNull();
    expect(budget.admit()).toBeNull();
  });

  it('shares maxBytes between bodies, refusing growth that would exceed it', () => {
    const budget = createBodyBudget({ maxBodies: 10, maxBytes: 100 });
    const a = budget.admit()!;
    const b = budget.admit()!;
    expect(a.grow(60)).toBe(true);
    expect(b.grow(50)).toBe(false);
    expect(b.grow(40)).toBe(true);
    expect(budget.inFlight()).toEqual({ bodies: 2, bytes: 100 });
    a.release();
    expect(budget.inFlight()).toEqual({ bodies: 1, bytes: 40 });
    expect(b.grow(60)).toBe(true);
    b.release();
    expect(b.grow(1)).toBe(false);
    expect(budget.inFlight()).toEqual({ bodies: 0, bytes: 0 });
  });
});

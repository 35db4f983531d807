/** The role prompts describe exactly the fields their phase's `finish` schema has: one source for both. */
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { GreenResult, RedResult, RefactorResult } from './pair-steps.js';
import { startingCheckpoint } from './checkpoint.js';
import {
  DEVELOPER_SYSTEM,
  finishInstructions,
  phasePrompt,
  REFACTOR_SYSTEM,
  TESTER_SYSTEM,
} from './prompts.js';

const PHASES = [
  ['tester', TESTER_SYSTEM, RedResult],
  ['developer', DEVELOPER_SYSTEM, GreenResult],
  ['refactor', REFACTOR_SYSTEM, RefactorResult],
] as const;

describe('prompts and finish schemas', () => {
  it.each(PHASES)(
    'the %s prompt lists every finish field with the schema’s description',
    (_, system, schema) => {
      const json = z.toJSONSchema(schema) as {
        properties: Record<string, { description?: string }>;
        required: string[];
      };
      for (const [name, property] of Object.entries(json.properties)) {
        expect(property.description, name).toBeTruthy();
        const need = json.required.includes(name) ? 'required' : 'optional';
        expect(system).toContain(`- ${name} (${need}, `);
        expect(system).toContain(property.description);
      }
      // Every field the prompt names is one the schema has.
      const named = [...system.matchAll(/^- (\w+) \(/gm)].map((m) => m[1]);
      expect(named.sort()).toEqual(Object.keys(json.properties).sort());
    },
  );

  it('no longer asks the tester for a criterion number the schema lacks', () => {
    expect(TESTER_SYSTEM).not.toContain('criterion number');
  });

  it('renders list fields with their item type', () => {
    expect(finishInstructions(RedResult)).toContain('- tests (required, list of string): ');
  });
});

describe('phasePrompt and project memory', () => {
  const checkpoint = startingCheckpoint(['header line first'], '', '');
  const ticket = {
    id: 7,
    title: 'CSV writer',
    description: '',
    acceptanceCriteria: ['header line first'],
  };

  it('shows what memory recalls for the ticket before the repository, and nothing without it', () => {
    const recalled =
      '### What earlier runs and reviews of this ticket left\n- blocked: the suite stayed red';
    const prompt = phasePrompt({ ...ticket, memory: recalled }, checkpoint, 'Write a test.', 'MAP');
    expect(prompt).toContain(`From project memory:\n${recalled}\n\nRepository:\nMAP`);
    expect(phasePrompt(ticket, checkpoint, 'Write a test.', 'MAP')).not.toContain('project memory');
  });
});

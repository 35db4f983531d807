import { describe, expect, it } from 'vitest';
import { withMarker } from './comment-marker.js';
import { lowestMarkedIssue } from './lowest-marked-issue.js';

describe('lowestMarkedIssue', () => {
  const issue = (number: number, body: string) => ({ number, body, title: `#${number}` });

  it('picks the lowest-numbered issue carrying the marker, whatever the input order', () => {
    const issues = [
      issue(9, withMarker('plan-1', 'b')),
      issue(3, 'no marker'),
      issue(4, withMarker('plan-1', 'a')),
      issue(2, withMarker('plan-2', 'other key')),
    ];
    expect(lowestMarkedIssue(issues, 'plan-1')?.number).toBe(4);
    expect(issues.map((i) => i.number)).toEqual([9, 3, 4, 2]);
  });

  it('returns null when no issue carries the marker', () => {
    expect(lowestMarkedIssue([issue(1, 'plain')], 'plan-1')).toBeNull();
    expect(lowestMarkedIssue([], 'plan-1')).toBeNull();
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';

const Manifest = z.object({
  name: z.string(),
  default_events: z.array(z.string()),
  default_permissions: z.record(z.string(), z.enum(['read', 'write'])),
  public: z.boolean(),
});

const manifest = Manifest.parse(
  parse(readFileSync(new URL('../../app.yml', import.meta.url), 'utf8')),
);

describe('app.yml (GitHub App manifest)', () => {
  it('subscribes to exactly the events the GitHub normalizer handles', () => {
    // installation events are always delivered to an App and cannot be listed.
    expect([...manifest.default_events].sort()).toEqual(
      ['issue_comment', 'issues', 'pull_request', 'pull_request_review', 'push'].sort(),
    );
  });

  it('asks for least privilege: no administration, workflows, secrets or org permissions', () => {
    expect(manifest.default_permissions).toEqual({
      contents: 'write',
      issues: 'write',
      pull_requests: 'write',
      statuses: 'write',
      metadata: 'read',
    });
    expect(manifest.public).toBe(false);
  });
});

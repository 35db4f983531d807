import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signBody, verifySignature } from './verify-signature.js';

const body = Buffer.from('{"zen":"Design for failure."}');
// Reference value computed independently of signBody.
const hex = createHmac('sha256', "It's a Secret to Everybody").update(body).digest('hex');

describe('verifySignature', () => {
  it('accepts GitHub-style (sha256=) and Gitea-style (bare hex) signatures', () => {
    expect(signBody("It's a Secret to Everybody", body)).toBe(hex);
    expect(verifySignature("It's a Secret to Everybody", body, `sha256=${hex}`)).toBe(true);
    expect(verifySignature("It's a Secret to Everybody", body, hex.toUpperCase())).toBe(true);
  });

  it('rejects a wrong secret, a changed body, and missing or malformed signatures', () => {
    expect(verifySignature('another secret', body, hex)).toBe(false);
    expect(verifySignature("It's a Secret to Everybody", Buffer.from('{}'), hex)).toBe(false);
    expect(verifySignature("It's a Secret to Everybody", body, undefined)).toBe(false);
    expect(verifySignature("It's a Secret to Everybody", body, 'sha1=abc')).toBe(false);
    expect(verifySignature("It's a Secret to Everybody", body, hex.slice(0, 63))).toBe(false);
  });
});

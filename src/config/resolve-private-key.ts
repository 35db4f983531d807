import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ConfigIssue } from '../errors/index.js';

/**
 * The GitHub App private key from `PRIVATE_KEY` (raw PEM, `\n`-escaped or base64, normalised as
 * `@probot/get-private-key` does) or else the file at `PRIVATE_KEY_PATH`, checked with
 * `crypto.createPrivateKey`. Returns the PEM text, or undefined when neither is set or the key is bad;
 * a bad key pushes an issue onto `issues` naming the variable, never the value.
 */
export function resolvePrivateKey(
  vars: Record<string, string>,
  readFile: (path: string) => string,
  issues: ConfigIssue[],
): string | undefined {
  let raw: string | undefined;
  let name = 'PRIVATE_KEY';
  if (vars.PRIVATE_KEY !== undefined) {
    raw = vars.PRIVATE_KEY;
  } else if (vars.PRIVATE_KEY_PATH !== undefined) {
    name = 'PRIVATE_KEY_PATH';
    try {
      raw = readFile(vars.PRIVATE_KEY_PATH);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'read error';
      issues.push({ path: name, message: `cannot read the key file (${code})` });
      return undefined;
    }
  }
  if (raw === undefined) {
    return undefined;
  }
  const pem = normalisePem(raw);
  try {
    createPrivateKey(pem);
  } catch {
    issues.push({
      path: name,
      message:
        name === 'PRIVATE_KEY'
          ? 'is not a PEM private key (raw, with \\n escapes, or base64)'
          : 'the file is not a PEM private key',
    });
    return undefined;
  }
  return pem;
}

/** `@probot/get-private-key`'s normalisation: base64 → text, literal `\n` → newline. */
function normalisePem(value: string): string {
  let key = value.trim();
  if (!key.includes('-----BEGIN') && Buffer.from(key, 'base64').toString('base64') === key) {
    key = Buffer.from(key, 'base64').toString('utf8').trim();
  }
  if (key.includes('\\n')) {
    key = key.replace(/\\n/g, '\n');
  }
  return `${key}\n`;
}

/** `fs.readFileSync(path, 'utf8')`, the default key-file reader. */
export function readUtf8(path: string): string {
  return readFileSync(path, 'utf8');
}

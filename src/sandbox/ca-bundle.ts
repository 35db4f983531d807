import { X509Certificate } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ConfigError } from '../errors/index.js';

/** Largest CA bundle accepted, in bytes (Debian's whole bundle is about 220 KB). */
export const MAX_CA_BUNDLE_BYTES = 4 * 1024 * 1024;

/**
 * Extra CA certificates the sandbox trusts during its setup command (an operator's setting,
 * `TANDEM_SANDBOX_CA_CERTS`): the certificates only, re-encoded from what was parsed, so nothing else
 * the file held can reach a container.
 */
export interface CaBundle {
  /** The absolute path the certificates were read from (for messages). */
  source: string;
  /** The certificates as PEM, one `CERTIFICATE` block each, newline-terminated. */
  pem: string;
  /** How many certificates `pem` holds. */
  certificates: number;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/**
 * Reads and checks a PEM file of CA certificates. Only `CERTIFICATE` blocks are kept, each parsed as
 * X.509 (node:crypto) and re-encoded; a file holding any private key is refused whole, since it was
 * clearly not meant to be handed to a sandbox.
 * @param setting the name the operator set, for error messages (default `TANDEM_SANDBOX_CA_CERTS`).
 * @throws ConfigError (source `environment`, path = `setting`) when the file is missing, unreadable,
 *   larger than {@link MAX_CA_BUNDLE_BYTES}, holds a private key, holds no certificate, or holds a
 *   certificate that does not parse.
 */
export async function loadCaBundle(
  path: string,
  setting = 'TANDEM_SANDBOX_CA_CERTS',
): Promise<CaBundle> {
  const source = resolve(path);
  const fail = (message: string, cause?: unknown): never => {
    throw new ConfigError(
      'environment',
      [{ path: setting, message }],
      cause === undefined ? undefined : { cause },
    );
  };
  const info = await stat(source).catch((error: unknown) => {
    const code = (error as NodeJS.ErrnoException).code;
    return fail(
      code === 'ENOENT'
        ? `${source} does not exist: point it at a PEM file of CA certificates (e.g. /etc/ssl/certs/ca-certificates.crt)`
        : `cannot read ${source} (${code ?? 'error'})`,
      error,
    );
  });
  if (!info.isFile()) {
    fail(`${source} is not a file: point it at a PEM file of CA certificates`);
  }
  if (info.size > MAX_CA_BUNDLE_BYTES) {
    fail(`${source} is ${info.size} bytes; a CA bundle is at most ${MAX_CA_BUNDLE_BYTES} bytes`);
  }
  const text = await readFile(source, 'latin1').catch((error: unknown) =>
    fail(`cannot read ${source} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, error),
  );
  const blocks = [...text.matchAll(PEM_BLOCK)];
  if (blocks.some((b) => b[1]!.includes('PRIVATE KEY')) || /PRIVATE KEY-----/.test(text)) {
    fail(
      `${source} holds a private key: only CA certificates (the public part) may enter the sandbox`,
    );
  }
  const pems: string[] = [];
  for (const [index, block] of blocks.entries()) {
    if (block[1] !== 'CERTIFICATE') {
      continue;
    }
    try {
      pems.push(new X509Certificate(block[0]).toString().trim());
    } catch (error) {
      fail(`PEM block ${index + 1} of ${source} is not a valid certificate`, error);
    }
  }
  if (pems.length === 0) {
    fail(`${source} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  }
  return { source, pem: `${pems.join('\n')}\n`, certificates: pems.length };
}

/**
 * Extra CA certificates for the setup (`TANDEM_SANDBOX_CA_CERTS`) against a real Docker engine: a TLS
 * server on the host whose certificate is signed by a throwaway CA (made with openssl), reached from a
 * `network: 'setup'` sandbox. With the CA the setup's HTTPS request succeeds; without it, it fails the
 * way a TLS-intercepting proxy makes `npm ci` fail, and the hint names the setting. Once the network is
 * cut the certificates are gone. Also: `loadCaBundle`'s checks, live output lines, and a provider's
 * close removing sandboxes still in use.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors/index.js';
import { loadCaBundle, type CaBundle } from '../../src/sandbox/ca-bundle.js';
import { SANDBOX_CA_DIR } from '../../src/sandbox/sandbox-ca.js';
import { tlsTrustHint } from '../../src/sandbox/tls-trust-hint.js';
import { docker, makeProvider, request, workerContainers } from './sandbox-harness.js';

let dir = '';
/** openssl options for a new P-256 key, unencrypted (fast to make). */
const NEW_EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tandem-ca-'));
  await openssl([
    'req',
    '-x509',
    ...NEW_EC_KEY,
    '-keyout',
    join(dir, 'ca.key'),
    '-out',
    join(dir, 'ca.pem'),
    '-days',
    '1',
    '-subj',
    '/CN=Tandem Test Intercepting Proxy CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
});
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) {
    await fn();
  }
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function openssl(args: string[]) {
  return execa('openssl', args, { stdin: 'ignore' });
}

/** A certificate for `ip` signed by the test CA: key and certificate PEM. */
async function leafFor(ip: string): Promise<{ key: string; cert: string }> {
  const key = join(dir, `${ip}.key`);
  const csr = join(dir, `${ip}.csr`);
  const cert = join(dir, `${ip}.pem`);
  const ext = join(dir, `${ip}.ext`);
  await writeFile(ext, `subjectAltName=IP:${ip}\n`);
  await openssl(['req', ...NEW_EC_KEY, '-keyout', key, '-out', csr, '-subj', '/CN=proxy']);
  await openssl([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    join(dir, 'ca.pem'),
    '-CAkey',
    join(dir, 'ca.key'),
    '-CAcreateserial',
    '-out',
    cert,
    '-days',
    '1',
    '-extfile',
    ext,
  ]);
  return { key: await readFile(key, 'utf8'), cert: await readFile(cert, 'utf8') };
}

/** An HTTPS server on all host interfaces with `tls`, answering `ok`; returns its port. */
async function httpsServer(tls: { key: string; cert: string }): Promise<number> {
  const server: Server = createServer(tls, (_req, res) => res.end('ok\n'));
  await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
  cleanups.push(() => new Promise((resolve) => server.close(() => resolve())));
  return (server.address() as { port: number }).port;
}

/** A setup-network sandbox of a provider with (or without) `caBundle`, and its gateway address. */
async function setupSandbox(caBundle?: CaBundle) {
  const made = await makeProvider(caBundle ? { caBundle } : {});
  cleanups.push(made.cleanup);
  const sandbox = await made.provider.acquire(request({ network: 'setup' }));
  const networks = (await docker.getContainer(sandbox.id).inspect()).NetworkSettings.Networks;
  const gateway = Object.values(networks)[0]!.Gateway;
  return { sandbox, gateway };
}

/** A setup command fetching `https://<gateway>:<port>/` with Node, as `npm ci` would fetch packages. */
const fetchCommand = (gateway: string, port: number): string[] => [
  'node',
  '-e',
  `require('https').get('https://${gateway}:${port}/', r => r.pipe(process.stdout))` +
    `.on('error', e => { console.error(e.code + ': ' + e.message); process.exit(3) })`,
];

describe('loadCaBundle', () => {
  it('keeps only parsed certificates, re-encoded, from a real bundle and a single CA', async () => {
    const host = await loadCaBundle('/etc/ssl/certs/ca-certificates.crt');
    expect(host.certificates).toBeGreaterThan(50);
    expect(host.pem.match(/-----BEGIN CERTIFICATE-----/g)).toHaveLength(host.certificates);
    const ca = await loadCaBundle(join(dir, 'ca.pem'));
    expect(ca).toMatchObject({ source: join(dir, 'ca.pem'), certificates: 1 });
    // Text around the blocks (comments, a bundle's headers) is not carried into the sandbox.
    const noisy = join(dir, 'noisy.pem');
    await writeFile(noisy, `# our proxy\n${await readFile(join(dir, 'ca.pem'), 'utf8')}trailing\n`);
    expect((await loadCaBundle(noisy)).pem).toBe(ca.pem);
  });

  it('refuses, naming the setting, a missing file, a directory, a key, no certificate, a broken one', async () => {
    const refused = async (path: string): Promise<string> => {
      const error = await loadCaBundle(path).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ConfigError);
      const issue = (error as ConfigError).issues[0]!;
      expect(issue.path).toBe('TANDEM_SANDBOX_CA_CERTS');
      return issue.message;
    };
    expect(await refused(join(dir, 'nope.pem'))).toMatch(/does not exist: point it at a PEM file/);
    expect(await refused(dir)).toMatch(/is not a file/);
    const withKey = join(dir, 'with-key.pem');
    await writeFile(
      withKey,
      (await readFile(join(dir, 'ca.pem'), 'utf8')) + (await readFile(join(dir, 'ca.key'), 'utf8')),
    );
    expect(await refused(withKey)).toMatch(/holds a private key/);
    const empty = join(dir, 'empty.pem');
    await writeFile(empty, 'not a certificate\n');
    expect(await refused(empty)).toMatch(/holds no PEM certificate/);
    const broken = join(dir, 'broken.pem');
    await writeFile(broken, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    expect(await refused(broken)).toMatch(/PEM block 1 of .* is not a valid certificate/);
  });
});

describe('extra CA certificates in a setup sandbox (real Docker)', () => {
  it('the setup trusts the operator CA, sees its output live, and the CA is gone once offline', async () => {
    const bundle = await loadCaBundle(join(dir, 'ca.pem'));
    const { sandbox, gateway } = await setupSandbox(bundle);
    const port = await httpsServer(await leafFor(gateway));
    const lines: string[] = [];
    const setup = await sandbox.exec(fetchCommand(gateway, port), {
      timeoutMs: 20_000,
      network: true,
      onOutput: (line, stream) => lines.push(`${stream}: ${line}`),
    });
    expect(setup, setup.stderr).toMatchObject({ exitCode: 0, stdout: 'ok\n' });
    expect(lines).toEqual(['stdout: ok']);
    // The image's own roots are kept beside the operator's CA (several clients replace, not add).
    const roots = await sandbox.exec(['sh', '-c', 'grep -c "BEGIN CERTIFICATE" "$SSL_CERT_FILE"'], {
      timeoutMs: 10_000,
      network: true,
    });
    expect(Number(roots.stdout)).toBeGreaterThan(1);

    const offline = await sandbox.exec(
      ['sh', '-c', `test -e ${SANDBOX_CA_DIR} && echo present; env | grep -c _CA_ || true`],
      { timeoutMs: 10_000 },
    );
    expect(offline).toMatchObject({ exitCode: 0, stdout: '0\n' });
  }, 60_000);

  it('without the CA the setup fails as behind an intercepting proxy, and the hint names the setting', async () => {
    const { sandbox, gateway } = await setupSandbox();
    const port = await httpsServer(await leafFor(gateway));
    const setup = await sandbox.exec(fetchCommand(gateway, port), {
      timeoutMs: 20_000,
      network: true,
    });
    expect(setup.exitCode).toBe(3);
    expect(setup.stderr).toMatch(
      /UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|UNABLE_TO_GET_ISSUER/,
    );
    expect(tlsTrustHint(setup.stderr, false)).toContain('set TANDEM_SANDBOX_CA_CERTS');
    expect(tlsTrustHint(setup.stderr, true)).toContain('even with the extra CA certificates');
    expect(tlsTrustHint('npm ERR! 404 Not Found', false)).toBeUndefined();
  }, 60_000);
});

describe('DockerSandboxProvider.close', () => {
  it('removes sandboxes still in use (a job cut short by shutdown) and refuses new ones', async () => {
    const made = await makeProvider();
    cleanups.push(made.cleanup);
    const a = await made.provider.acquire(request());
    const b = await made.provider.acquire(request());
    let started!: () => void;
    const isRunning = new Promise<void>((resolve) => (started = resolve));
    const running = a.exec(['sh', '-c', 'echo started; exec sleep 300'], {
      timeoutMs: 600_000,
      onOutput: () => started(),
    });
    await isRunning;
    expect(await workerContainers(made.workerId)).toHaveLength(2);
    await made.provider.close();
    expect(await workerContainers(made.workerId)).toEqual([]);
    // The command in flight ends (it does not run on for its five minutes), and not as a success.
    const ended = await running.then(
      (r) => r.exitCode,
      () => 'threw',
    );
    expect(ended).not.toBe(0);
    await expect(b.exec(['true'], { timeoutMs: 5_000 })).rejects.toThrow();
    await expect(made.provider.acquire(request())).rejects.toThrow(
      'the sandbox provider is closed',
    );
  }, 60_000);
});

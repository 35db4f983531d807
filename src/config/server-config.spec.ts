import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors/index.js';
import { redactSecrets } from '../errors/redact-secrets.js';
import { secretValues } from './secret-values.js';
import { loadServerConfig } from './server-config.js';

const pem = generateKeyPairSync('rsa', { modulusLength: 1024 })
  .privateKey.export({ type: 'pkcs1', format: 'pem' })
  .toString();

function fail(
  env: Record<string, string | undefined>,
  readFile?: (p: string) => string,
): ConfigError {
  try {
    loadServerConfig(env, readFile ? { readFile } : {});
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected loadServerConfig to throw');
}

describe('loadServerConfig', () => {
  it('returns the documented defaults for an empty environment, with no forge enabled', () => {
    expect(loadServerConfig({})).toEqual({
      port: 3000,
      host: 'localhost',
      logLevel: 'info',
      dataDir: './.tandem',
      botLogins: [],
      modelCacheDir: '.tandem/models',
      sandboxImages: ['tandem-sandbox:latest'],
      sandboxPoolSize: 1,
      sandboxDiskMb: 2048,
      sandboxDiskMbMax: 8192,
      protectedPaths: [],
      maxPairJobs: 1,
      permissionCacheSeconds: 60,
      shutdownGraceSeconds: 30,
      policyCaps: {},
      // Nothing configured: the GitHub App setup routes are the one thing to offer (behind a token).
      githubSetup: true,
      metricsHost: '127.0.0.1',
    });
  });

  it('reads the status and metrics settings, refusing short tokens without printing them', () => {
    expect(
      loadServerConfig({
        TANDEM_STATUS_TOKEN: 'status-token-0123456789',
        TANDEM_METRICS_TOKEN: 'metrics-token-0123456789',
        TANDEM_METRICS_PORT: '9464',
        TANDEM_METRICS_HOST: '0.0.0.0',
      }),
    ).toMatchObject({
      statusToken: 'status-token-0123456789',
      metricsToken: 'metrics-token-0123456789',
      metricsPort: 9464,
      metricsHost: '0.0.0.0',
    });
    const error = fail({
      TANDEM_STATUS_TOKEN: 'short-secret',
      TANDEM_METRICS_TOKEN: 'has a space in it 0123',
      TANDEM_METRICS_PORT: '70000',
    });
    expect(error.issues.map((i) => i.path)).toEqual([
      'TANDEM_STATUS_TOKEN',
      'TANDEM_METRICS_TOKEN',
      'TANDEM_METRICS_PORT',
    ]);
    expect(error.message).not.toContain('short-secret');
    expect(error.message).not.toContain('has a space');
  });

  it('reads the operator caps on repository policy, and refuses malformed ones', () => {
    expect(
      loadServerConfig({
        TANDEM_MAX_SANDBOX_CPUS: '1.5',
        TANDEM_MAX_SANDBOX_MEMORY_MB: '4096',
        TANDEM_MAX_TICKET_COST_USD: '0',
        TANDEM_MAX_REVISIONS: '2',
        TANDEM_ALLOW_SETUP_NETWORK: 'false',
      }).policyCaps,
    ).toEqual({
      sandboxCpus: 1.5,
      sandboxMemoryMb: 4096,
      ticketCostUsd: 0,
      revisions: 2,
      setupNetwork: false,
    });
    const error = fail({ TANDEM_MAX_SANDBOX_CPUS: 'two', TANDEM_ALLOW_SETUP_NETWORK: 'maybe' });
    expect(error.issues.map((i) => i.path).sort()).toEqual([
      'TANDEM_ALLOW_SETUP_NETWORK',
      'TANDEM_MAX_SANDBOX_CPUS',
    ]);
  });

  it('parses every variable into typed values', () => {
    const config = loadServerConfig({
      PORT: '8080',
      HOST: '0.0.0.0',
      LOG_LEVEL: 'debug',
      TANDEM_DATA_DIR: '/var/lib/tandem',
      DATABASE_URL: 'postgres://tandem:pw@db:5432/tandem',
      REDIS_URL: 'redis://redis:6379',
      TANDEM_PUBLIC_URL: 'https://tandem.example.com/',
      APP_ID: '12345',
      PRIVATE_KEY: pem,
      WEBHOOK_SECRET: 'gh-webhook-secret',
      GHE_HOST: 'github.example.com',
      GITEA_URL: 'https://gitea.example.com/',
      GITEA_TOKEN: 'gitea-token-value',
      GITEA_WEBHOOK_SECRET: 'gitea-hook-secret',
      GITEA_BOT_LOGIN: 'tandem-bot',
      TANDEM_BOT_LOGINS: 'renovate[bot], dependabot[bot] ,,',
      TANDEM_MODEL_CATALOG: '/etc/tandem/models.yml',
      TANDEM_SANDBOX_IMAGES: 'tandem-sandbox:latest, python-sandbox:3.12',
      TANDEM_SANDBOX_POOL_SIZE: '0',
      TANDEM_SANDBOX_DISK_MB: '512',
      TANDEM_SANDBOX_DISK_MB_MAX: '4096',
      TANDEM_SANDBOX_CA_CERTS: '/etc/ssl/certs/proxy-ca.pem',
      TANDEM_PROTECTED_PATHS: 'deploy/**, .circleci/config.yml',
      TANDEM_MAX_PAIR_JOBS: '4',
      TANDEM_PERMISSION_CACHE_SECONDS: '0',
      TANDEM_SHUTDOWN_GRACE_SECONDS: '120',
    });
    expect(config).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      logLevel: 'debug',
      dataDir: '/var/lib/tandem',
      modelCacheDir: '/var/lib/tandem/models',
      databaseUrl: 'postgres://tandem:pw@db:5432/tandem',
      redisUrl: 'redis://redis:6379',
      publicUrl: 'https://tandem.example.com',
      github: { appId: 12345, webhookSecret: 'gh-webhook-secret', gheHost: 'github.example.com' },
      gitea: {
        url: 'https://gitea.example.com',
        token: 'gitea-token-value',
        webhookSecret: 'gitea-hook-secret',
        botLogin: 'tandem-bot',
      },
      botLogins: ['renovate[bot]', 'dependabot[bot]'],
      modelCatalogPath: '/etc/tandem/models.yml',
      sandboxImages: ['tandem-sandbox:latest', 'python-sandbox:3.12'],
      sandboxPoolSize: 0,
      sandboxDiskMb: 512,
      sandboxDiskMbMax: 4096,
      sandboxCaCerts: '/etc/ssl/certs/proxy-ca.pem',
      protectedPaths: ['deploy/**', '.circleci/config.yml'],
      maxPairJobs: 4,
      permissionCacheSeconds: 0,
      shutdownGraceSeconds: 120,
    });
    expect(config.github?.privateKey).toBe(pem);
  });

  it('keeps the disk cap at or above the default, and protected paths inside the repository', () => {
    expect(loadServerConfig({ TANDEM_SANDBOX_DISK_MB: '20000' }).sandboxDiskMbMax).toBe(20000);
    const error = fail({
      TANDEM_SANDBOX_DISK_MB: '4096',
      TANDEM_SANDBOX_DISK_MB_MAX: '1024',
      TANDEM_PROTECTED_PATHS: 'ok/**,../escape,/abs',
    });
    expect(error.issues.map((i) => i.path).sort()).toEqual([
      'TANDEM_PROTECTED_PATHS',
      'TANDEM_PROTECTED_PATHS',
      'TANDEM_SANDBOX_DISK_MB_MAX',
    ]);
  });

  it('treats blank variables as unset', () => {
    expect(loadServerConfig({ PORT: '', APP_ID: '  ', GITEA_TOKEN: '' }).port).toBe(3000);
  });

  it('accepts the private key \\n-escaped, base64-encoded, or from PRIVATE_KEY_PATH', () => {
    const base = { APP_ID: '1', WEBHOOK_SECRET: 'whsec-123456' };
    const escaped = pem.trim().replace(/\n/g, '\\n');
    const b64 = Buffer.from(pem).toString('base64');
    expect(loadServerConfig({ ...base, PRIVATE_KEY: escaped }).github?.privateKey).toBe(pem);
    expect(loadServerConfig({ ...base, PRIVATE_KEY: b64 }).github?.privateKey).toBe(pem);
    const fromFile = loadServerConfig(
      { ...base, PRIVATE_KEY_PATH: '/keys/app.pem' },
      { readFile: (p) => (p === '/keys/app.pem' ? pem : '') },
    );
    expect(fromFile.github).toMatchObject({ privateKey: pem, privateKeyPath: '/keys/app.pem' });
  });

  it('throws one error naming every bad variable, without printing any value', () => {
    const secrets = {
      WEBHOOK_SECRET: 'super-secret-webhook-value',
      PRIVATE_KEY: 'not-a-key-but-secret-anyway',
      GITEA_TOKEN: 'gitea-secret-token-42',
      DATABASE_URL: 'mysql://root:db-password-77@db/tandem',
    };
    const error = fail({
      ...secrets,
      PORT: 'eighty',
      LOG_LEVEL: 'loud',
      REDIS_URL: 'http://cache-password-99@redis',
      TANDEM_MAX_PAIR_JOBS: '0',
      TANDEM_SANDBOX_IMAGES: 'Bad Image',
    });
    expect(error.code).toBe('config_invalid');
    expect(error.source).toBe('environment');
    const paths = error.issues.map((i) => i.path).sort();
    expect(paths).toEqual(
      [
        'APP_ID',
        'DATABASE_URL',
        'GITEA_URL',
        'GITEA_WEBHOOK_SECRET',
        'LOG_LEVEL',
        'PORT',
        'PRIVATE_KEY',
        'REDIS_URL',
        'TANDEM_MAX_PAIR_JOBS',
        'TANDEM_SANDBOX_IMAGES',
      ].sort(),
    );
    for (const value of [...Object.values(secrets), 'cache-password-99', 'db-password-77']) {
      expect(error.message).not.toContain(value);
      expect(JSON.stringify(error.issues)).not.toContain(value);
    }
    expect(error.message).toMatch(/^invalid environment: 10 problems/);
    expect(error.message).toContain('PORT: must be a whole number from 1 to 65535');
  });

  it('names the missing GitHub variables when the App is only partly configured', () => {
    const error = fail({ APP_ID: '7' });
    expect(error.issues.map((i) => i.path)).toEqual(['WEBHOOK_SECRET', 'PRIVATE_KEY']);
    expect(error.message).toContain('PRIVATE_KEY or PRIVATE_KEY_PATH is required');
    expect(fail({ GHE_HOST: 'ghe.local' }).issues.map((i) => i.path)).toEqual([
      'APP_ID',
      'WEBHOOK_SECRET',
      'PRIVATE_KEY',
    ]);
  });

  it('refuses both PRIVATE_KEY and PRIVATE_KEY_PATH, and an unreadable key file', () => {
    const base = { APP_ID: '1', WEBHOOK_SECRET: 'whsec-123456' };
    expect(fail({ ...base, PRIVATE_KEY: pem, PRIVATE_KEY_PATH: '/k.pem' }).issues).toEqual([
      { path: 'PRIVATE_KEY_PATH', message: 'set only one of PRIVATE_KEY and PRIVATE_KEY_PATH' },
    ]);
    const missing = fail({ ...base, PRIVATE_KEY_PATH: '/nonexistent/tandem/key.pem' });
    expect(missing.issues).toEqual([
      { path: 'PRIVATE_KEY_PATH', message: 'cannot read the key file (ENOENT)' },
    ]);
    const notPem = fail({ ...base, PRIVATE_KEY_PATH: '/k.pem' }, () => 'hello');
    expect(notPem.issues[0]?.message).toBe('the file is not a PEM private key');
  });

  it('names the missing Gitea variables and refuses credentials in GITEA_URL', () => {
    expect(fail({ GITEA_BOT_LOGIN: 'bot' }).issues.map((i) => i.path)).toEqual([
      'GITEA_URL',
      'GITEA_TOKEN',
      'GITEA_WEBHOOK_SECRET',
    ]);
    const error = fail({
      GITEA_URL: 'https://admin:hunter22@gitea.local',
      GITEA_TOKEN: 'tok-123456',
      GITEA_WEBHOOK_SECRET: 'sec-123456',
    });
    expect(error.issues).toEqual([{ path: 'GITEA_URL', message: 'must not contain credentials' }]);
    expect(error.message).not.toContain('hunter22');
  });
});

describe('per-repository Gitea secrets and the setup routes', () => {
  const gitea = { GITEA_URL: 'https://gitea.local', GITEA_TOKEN: 'tok-123456' };

  it('reads GITEA_WEBHOOK_SECRETS_FILE: comments skipped, names without case, = inside secrets', () => {
    const file = '# per repository\n\nAlice/Widgets = s3cret=with=equals\nbob/tools=bob-secret-1\n';
    const config = loadServerConfig(
      { ...gitea, GITEA_WEBHOOK_SECRETS_FILE: '/etc/tandem/hooks' },
      { readFile: (p) => (p === '/etc/tandem/hooks' ? file : '') },
    );
    expect(config.gitea?.webhookSecret).toBeUndefined();
    expect([...(config.gitea?.repositorySecrets ?? [])]).toEqual([
      ['alice/widgets', 's3cret=with=equals'],
      ['bob/tools', 'bob-secret-1'],
    ]);
    expect(secretValues(config)).toEqual(
      expect.arrayContaining(['s3cret=with=equals', 'bob-secret-1']),
    );
  });

  it('names the bad lines of the secrets file by number, never a secret', () => {
    const file = 'alice/widgets=one-secret-1\nnot a line\nbob/tools=\nALICE/widgets=two-secret-2\n';
    const error = fail({ ...gitea, GITEA_WEBHOOK_SECRETS_FILE: '/f' }, () => file);
    expect(error.issues.map((i) => i.message)).toEqual([
      'line 2: expected owner/repo=secret',
      'line 3: the secret of bob/tools is empty',
      'line 4: ALICE/widgets is listed twice',
    ]);
    expect(error.message).not.toContain('one-secret-1');
    expect(error.message).not.toContain('two-secret-2');
    expect(fail({ ...gitea, GITEA_WEBHOOK_SECRETS_FILE: '/f' }, () => '# none\n').issues).toEqual([
      {
        path: 'GITEA_WEBHOOK_SECRETS_FILE',
        message: 'lists no repository, and GITEA_WEBHOOK_SECRET is not set',
      },
    ]);
    expect(fail(gitea).issues.map((i) => i.path)).toEqual(['GITEA_WEBHOOK_SECRET']);
  });

  it('opens the GitHub App setup routes only with no forge, or when asked, and never for an App', () => {
    const app = { APP_ID: '1', PRIVATE_KEY: pem, WEBHOOK_SECRET: 'whsec-123456' };
    const withGitea = { ...gitea, GITEA_WEBHOOK_SECRET: 'sec-123456' };
    expect(loadServerConfig({}).githubSetup).toBe(true);
    expect(loadServerConfig({ TANDEM_GITHUB_SETUP: 'false' }).githubSetup).toBe(false);
    expect(loadServerConfig(withGitea).githubSetup).toBe(false);
    expect(loadServerConfig({ ...withGitea, TANDEM_GITHUB_SETUP: 'true' }).githubSetup).toBe(true);
    expect(loadServerConfig({ ...app, TANDEM_GITHUB_SETUP: '1' }).githubSetup).toBe(false);
    expect(fail({ TANDEM_GITHUB_SETUP: 'maybe' }).issues).toEqual([
      { path: 'TANDEM_GITHUB_SETUP', message: 'must be true or false' },
    ]);
  });
});

describe('secretValues', () => {
  it('returns every secret so redactSecrets can scrub them, but not user names', () => {
    const config = loadServerConfig({
      APP_ID: '1',
      PRIVATE_KEY: pem,
      WEBHOOK_SECRET: 'gh-hook-secret',
      GITEA_URL: 'http://gitea:3000',
      GITEA_TOKEN: 'gitea-token-abc',
      GITEA_WEBHOOK_SECRET: 'gitea-hook-secret',
      DATABASE_URL: 'postgresql://postgres:p%40ss-word@db/tandem',
      REDIS_URL: 'rediss://:redis-pass-1@cache:6380',
      TANDEM_STATUS_TOKEN: 'status-token-0123456789',
      TANDEM_METRICS_TOKEN: 'metrics-token-0123456789',
    });
    const secrets = secretValues(config);
    expect(secrets).toEqual(
      expect.arrayContaining([
        pem.trim(),
        'gh-hook-secret',
        'gitea-token-abc',
        'gitea-hook-secret',
        'p%40ss-word',
        'p@ss-word',
        'redis-pass-1',
        'status-token-0123456789',
        'metrics-token-0123456789',
      ]),
    );
    expect(secrets).not.toContain('postgres');
    const line = `token gitea-token-abc failed; pw p@ss-word; key ${pem}`;
    const clean = redactSecrets(line, secrets);
    for (const s of ['gitea-token-abc', 'p@ss-word', 'PRIVATE KEY']) {
      expect(clean).not.toContain(s);
    }
  });

  it('is empty when no secret is configured', () => {
    expect(secretValues(loadServerConfig({ REDIS_URL: 'redis://localhost:6379' }))).toEqual([]);
  });
});

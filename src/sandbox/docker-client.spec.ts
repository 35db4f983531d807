import { describe, expect, it } from 'vitest';
import { createDockerClient, dockerEndpoint, isEngineUnreachable } from './docker-client.js';

describe('createDockerClient (real Docker engine)', () => {
  it('reaches the engine again after an idle pause', async () => {
    const docker = createDockerClient();
    expect(String(await docker.ping())).toBe('OK');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(String(await docker.ping())).toBe('OK');
  });

  it('names an unreachable socket and classifies the failure as the engine being down', async () => {
    const Docker = (await import('dockerode')).default;
    const missing = new Docker({ socketPath: '/nonexistent/docker.sock' });
    expect(dockerEndpoint(missing)).toBe('the socket /nonexistent/docker.sock');
    const error: unknown = await missing.ping().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isEngineUnreachable(error)).toBe(true);
  });
});

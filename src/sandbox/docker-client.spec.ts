import { describe, expect, it } from 'vitest';
import { createDockerClient, dockerEndpoint } from './docker-client.js';

describe('createDockerClient (real Docker engine)', () => {
  it('reaches the default socket without keeping idle connections', async () => {
    const docker = createDockerClient({});
    expect(dockerEndpoint(docker)).toBe('the socket /var/run/docker.sock');
    const agent = (docker.modem as { agent?: { keepAlive?: boolean } }).agent;
    expect(agent?.keepAlive).toBe(false);
    // Idle long enough for a kept-alive socket to go stale on the engine's side, then call again.
    expect(String(await docker.ping())).toBe('OK');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(String(await docker.ping())).toBe('OK');
  });

  it('takes the socket path from a unix:// DOCKER_HOST', async () => {
    const docker = createDockerClient({ DOCKER_HOST: 'unix:///var/run/docker.sock' });
    expect(String(await docker.ping())).toBe('OK');
    const missing = createDockerClient({ DOCKER_HOST: 'unix:///nonexistent/docker.sock' });
    expect(dockerEndpoint(missing)).toBe('the socket /nonexistent/docker.sock');
    await expect(missing.ping()).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

import { describe, expect, it } from 'vitest';
import { LABELS, containerOptions, type ContainerInput } from './container-options.js';

const input: ContainerInput = {
  image: 'tandem-sandbox:latest',
  workspaceDir: '/srv/ws/job-1',
  limits: { cpus: 1.5, memoryMb: 512, pids: 128 },
  networkMode: 'none',
  user: { uid: 1000, gid: 1000 },
  labels: { [LABELS.sandbox]: '1', [LABELS.job]: 'job-1' },
  name: 'tandem-x',
};

describe('containerOptions', () => {
  it('hardens every container', () => {
    const options = containerOptions(input);
    // The container's own processes are not the sandbox user's, whose commands run through docker exec.
    expect(options.User).toBe('65534:65534');
    expect(options.WorkingDir).toBe('/');
    expect(options.Labels).toEqual(input.labels);
    expect(options.HostConfig).toMatchObject({
      NetworkMode: 'none',
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      ReadonlyRootfs: true,
      Memory: 512 * 1024 * 1024,
      MemorySwap: 512 * 1024 * 1024,
      NanoCpus: 1_500_000_000,
      PidsLimit: 128,
      Init: true,
      Privileged: false,
      Mounts: [{ Type: 'bind', Source: '/srv/ws/job-1', Target: '/workspace', ReadOnly: false }],
    });
    expect(Object.keys(options.HostConfig?.Tmpfs ?? {})).toEqual(['/tmp', '/home/sandbox']);
    expect(options.HostConfig?.Tmpfs?.['/home/sandbox']).toContain('uid=1000');
  });

  it('keeps the idle uid apart from the sandbox user', () => {
    expect(containerOptions({ ...input, user: { uid: 65534, gid: 65534 } }).User).toBe(
      '65533:65533',
    );
  });

  it('never runs as root', () => {
    expect(() => containerOptions({ ...input, user: { uid: 0, gid: 0 } })).toThrow(/root/);
  });
});

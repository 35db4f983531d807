/**
 * The environment a test gives a spawned Tandem process that must not inherit the test's own settings:
 * `PATH`, `HOME`, and the Docker client's variables (`DOCKER_HOST`, `DOCKER_TLS_VERIFY`,
 * `DOCKER_CERT_PATH`, …) so the child talks to the same Docker engine as the test that checks its
 * containers (a CI machine or a rootless engine sets `DOCKER_HOST`).
 */
export function childEnv(extra: Record<string, string> = {}): Record<string, string> {
  const docker = Object.entries(process.env).filter(
    (entry): entry is [string, string] => entry[0].startsWith('DOCKER_') && entry[1] !== undefined,
  );
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/root',
    ...Object.fromEntries(docker),
    ...extra,
  };
}

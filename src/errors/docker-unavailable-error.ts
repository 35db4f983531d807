import { TandemError } from './tandem-error.js';

/**
 * The Docker engine cannot be reached. The message names where Tandem looked (`DOCKER_HOST` or the Unix
 * socket) and how to start the engine, so an operator can act on it without reading code.
 */
export class DockerUnavailableError extends TandemError {
  readonly code = 'docker_unavailable';

  constructor(
    /** Where the engine was expected: the `DOCKER_HOST` value or the socket path. Never holds credentials. */
    readonly endpoint: string,
    options?: { cause?: unknown },
  ) {
    super(
      `the Docker engine is not reachable at ${endpoint}: start it (\`sudo systemctl start docker\`, or ` +
        '`sudo dockerd &`), check that this user may use the socket (group `docker`), or set DOCKER_HOST',
      options,
    );
  }
}

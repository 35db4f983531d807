import { TandemError } from './tandem-error.js';

/** The sandbox image is not present in the local Docker engine; the message names the build command. */
export class SandboxImageMissingError extends TandemError {
  readonly code = 'sandbox_image_missing';

  constructor(
    readonly image: string,
    options?: { cause?: unknown },
  ) {
    super(
      `the sandbox image ${image} is missing: build it with \`sudo bash sandbox/build-image.sh\` ` +
        '(works offline from Debian packages; tags tandem-sandbox:latest)',
      options,
    );
  }
}

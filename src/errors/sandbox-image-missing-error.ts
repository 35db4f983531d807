import { TandemError } from './tandem-error.js';

/**
 * The sandbox image is not present in the local Docker engine (Tandem never pulls one). The message
 * names the fix: the build script for Tandem's own `tandem-sandbox` image, else building or loading the
 * named image on this host.
 */
export class SandboxImageMissingError extends TandemError {
  readonly code = 'sandbox_image_missing';

  constructor(
    readonly image: string,
    options?: { cause?: unknown },
  ) {
    super(
      /^tandem-sandbox(:|$)/.test(image)
        ? `the sandbox image ${image} is missing: build it with \`sudo bash sandbox/build-image.sh\` ` +
            '(works offline from Debian packages; tags tandem-sandbox:latest)'
        : `the sandbox image ${image} is missing on this Docker engine, and Tandem never pulls images: ` +
            `build or load it here (\`docker build -t ${image} …\`, \`docker load -i …\`), or use ` +
            'tandem-sandbox:latest (`sudo bash sandbox/build-image.sh`)',
      options,
    );
  }
}

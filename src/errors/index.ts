export { TandemError } from './tandem-error.js';
export { ConfigError, type ConfigIssue } from './config-error.js';
export { redactSecrets } from './redact-secrets.js';
export { InvalidTransitionError } from './invalid-transition-error.js';

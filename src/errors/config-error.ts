import { TandemError } from './tandem-error.js';

/** One problem found while validating configuration: a dotted path, a message, and a line when known. */
export interface ConfigIssue {
  /** Dotted path of the offending key (`budgets.cycles`), or the variable name for the environment. */
  path: string;
  message: string;
  /** 1-based line in the source file, where the YAML parser could tell. */
  line?: number;
}

/**
 * Configuration (server environment, model catalog or repository policy) is invalid.
 * `issues` lists every problem at once so an operator fixes them in one go. Never holds secret values.
 */
export class ConfigError extends TandemError {
  readonly code = 'config_invalid';

  constructor(
    /** What was being read, e.g. `environment` or `.github/tandem.yml`. */
    readonly source: string,
    readonly issues: readonly ConfigIssue[],
    options?: { cause?: unknown },
  ) {
    super(ConfigError.format(source, issues), options);
  }

  /** Renders one readable block: a heading line and one indented line per issue. */
  static format(source: string, issues: readonly ConfigIssue[]): string {
    const lines = issues.map(
      (i) =>
        `  - ${i.path || '(root)'}${i.line === undefined ? '' : ` (line ${i.line})`}: ${i.message}`,
    );
    return `invalid ${source}: ${issues.length} problem${issues.length === 1 ? '' : 's'}\n${lines.join('\n')}`;
  }
}

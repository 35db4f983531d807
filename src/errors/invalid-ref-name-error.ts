import { TandemError } from './tandem-error.js';

/** A git ref (branch) name breaks git's ref-name rules; `problem` says which rule. */
export class InvalidRefNameError extends TandemError {
  readonly code = 'git_invalid_ref_name';

  constructor(
    readonly refName: string,
    readonly problem: string,
  ) {
    super(`invalid git ref name ${JSON.stringify(refName)}: ${problem}`);
  }
}

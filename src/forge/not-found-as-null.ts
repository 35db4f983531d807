/**
 * "Not found is an answer": the one place where a forge's 404 becomes `null` instead of an error.
 * Forge-neutral; both forge clients raise `ForgeRequestError` with the HTTP status.
 */
import { ForgeRequestError } from '../errors/forge-request-error.js';

/**
 * Awaits `promise`; a `ForgeRequestError` with status 404 resolves to `null`.
 * @throws whatever `promise` rejects with, when it is not a 404 `ForgeRequestError`.
 */
export async function notFoundAsNull<T>(promise: Promise<T>): Promise<T | null> {
  try {
    return await promise;
  } catch (error) {
    if (error instanceof ForgeRequestError && error.status === 404) {
      return null;
    }
    throw error;
  }
}

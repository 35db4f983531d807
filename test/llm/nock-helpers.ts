/**
 * nock for the model HTTP tests: no real network, and every mock must be used.
 * `useNock()` in a describe block disables real connections for the block's tests and, after each test,
 * fails it if an interceptor was left unused, then cleans up.
 */
import nock from 'nock';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';

export function useNock(): void {
  beforeAll(() => {
    nock.disableNetConnect();
  });
  afterEach(() => {
    const pending = nock.pendingMocks();
    nock.cleanAll();
    expect(pending, 'unused HTTP mocks').toEqual([]);
  });
  afterAll(() => {
    nock.enableNetConnect();
  });
}

/** The JSON body of a request seen by a nock interceptor. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- request bodies are probed freely in assertions
export type JsonBody = Record<string, any>;

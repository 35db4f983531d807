/**
 * How `runTandem` serves metrics in each mode, with the real sides (PGlite data directory, BullMQ's
 * PostgreSQL backend, Docker for the worker side, no warm pool): `tandem worker` has no HTTP side, so
 * with `TANDEM_METRICS_PORT` its metrics get a listener of their own (loopback by default, only
 * `/metrics`, the token for forwarded requests), showing the worker's instruments and not the database
 * gauges the server reports; `tandem start` has one registry, so its `/metrics` shows both sides.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runTandem, type RunningTandem } from '../../worker/run-tandem.js';
import { freePort } from '../helpers/free-port.js';
import { parseExposition } from './exposition-format.js';

const TOKEN = 'metrics-token-0123456789abcdef';
let dir = '';
let running: RunningTandem | undefined;

afterEach(async () => {
  await running?.stop('test done');
  running = undefined;
  await rm(dir, { recursive: true, force: true });
});

async function start(
  mode: 'worker' | 'start',
  env: Record<string, string>,
): Promise<RunningTandem> {
  dir = await mkdtemp(join(tmpdir(), `tandem-${mode}-metrics-`));
  running = await runTandem({
    mode,
    env: {
      HOST: '127.0.0.1',
      TANDEM_DATA_DIR: dir,
      TANDEM_SANDBOX_POOL_SIZE: '0',
      TANDEM_GITHUB_SETUP: 'false',
      LOG_LEVEL: 'silent',
      ...env,
    },
  });
  return running;
}

const families = async (url: string) => {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return parseExposition(await res.text());
};

describe('metrics of each process', () => {
  it('tandem worker: a metrics-only listener on TANDEM_METRICS_PORT with the worker instruments', async () => {
    const port = await freePort();
    const tandem = await start('worker', {
      TANDEM_METRICS_PORT: String(port),
      TANDEM_METRICS_TOKEN: TOKEN,
    });
    expect(tandem.url).toBeUndefined();
    const base = `http://127.0.0.1:${port}`;
    const m = await families(`${base}/metrics`);
    expect(m.get('tandem_queue_jobs')?.samples.map((s) => s.labels.queue)).toEqual(
      expect.arrayContaining(['events', 'tandem-work', 'tandem-pairs']),
    );
    expect(m.get('tandem_model_slots')?.samples.length).toBeGreaterThan(0);
    expect(m.get('tandem_sandbox_pool')?.samples).toHaveLength(2);
    expect(m.has('tandem_tickets')).toBe(false);
    expect((await fetch(`${base}/`)).status).toBe(404);
    const forwarded = { 'x-forwarded-for': '203.0.113.7' };
    expect((await fetch(`${base}/metrics`, { headers: forwarded })).status).toBe(403);
    const withToken = await fetch(`${base}/metrics`, {
      headers: { ...forwarded, authorization: `Bearer ${TOKEN}` },
    });
    expect(withToken.status).toBe(200);
    await tandem.stop('test done');
    running = undefined;
    await expect(fetch(`${base}/metrics`)).rejects.toThrow();
  });

  it('tandem start: one registry, so /metrics on the HTTP port shows both sides', async () => {
    const tandem = await start('start', { PORT: String(await freePort()) });
    const m = await families(`${tandem.url!}/metrics`);
    expect(m.has('tandem_model_slots')).toBe(true);
    expect(m.has('tandem_queue_jobs')).toBe(true);
    expect(m.get('tandem_tickets')?.samples.length).toBe(6);
    expect(m.has('tandem_webhook_deliveries_total')).toBe(true);
  });
});

/**
 * A throwaway `redis-server` on a free loopback port, for tests that stop and restart Redis (never the
 * shared one on 6379). No persistence: a restarted server starts empty.
 */
import { createServer } from 'node:net';
import { execa } from 'execa';

function spawn(port: number) {
  return execa(
    'redis-server',
    [
      ...['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      ...['--maxmemory-policy', 'noeviction'],
    ],
    { reject: false, buffer: false },
  );
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export interface TestRedis {
  port: number;
  /** Starts (or restarts) the server and resolves once it accepts connections. */
  start(): Promise<void>;
  /** Stops the server and waits for the process to exit. */
  stop(): Promise<void>;
}

/** Creates (but does not start) a test Redis on a free port. */
export async function createTestRedis(): Promise<TestRedis> {
  const port = await freePort();
  let child: ReturnType<typeof spawn> | undefined;
  return {
    port,
    async start() {
      const proc = spawn(port);
      child = proc;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('redis-server did not start')), 10_000);
        proc.stdout?.on('data', (chunk: Buffer) => {
          if (chunk.toString().includes('Ready to accept connections')) {
            clearTimeout(timer);
            resolve();
          }
        });
        void proc.then(() => {
          clearTimeout(timer);
          reject(new Error('redis-server exited'));
        });
      });
    },
    async stop() {
      if (child) {
        child.kill('SIGTERM');
        await child;
        child = undefined;
      }
    },
  };
}

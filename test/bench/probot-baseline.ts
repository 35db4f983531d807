/**
 * The baseline the memory bench holds Tandem's processes against: a bare Probot app as Probot's own
 * documentation writes one (one `issues.opened` handler that comments, `createNodeMiddleware`, a
 * `node:http` server, credentials from `createProbot()`'s environment: `APP_ID`, `PRIVATE_KEY`,
 * `WEBHOOK_SECRET`), answering 404 outside its webhook path.
 *
 * It is plain JavaScript run with `node --input-type=module -e`, so neither it nor Tandem (run from its
 * `tsc` build) carries a TypeScript loader; argv is `[probot module URL, port]`.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/** The app's source (ES module). */
export const PROBOT_BASELINE_APP = `
import { createServer } from 'node:http';
const [probotUrl, port] = process.argv.slice(1);
const { createNodeMiddleware, createProbot } = await import(probotUrl);
const app = (probot) => {
  probot.on('issues.opened', async (context) => {
    await context.octokit.issues.createComment(context.issue({ body: 'Thanks for opening this issue!' }));
  });
};
const middleware = await createNodeMiddleware(app, { probot: createProbot() });
const server = createServer((req, res) => {
  middleware(req, res, () => {
    res.writeHead(404);
    res.end();
  });
});
server.listen(Number(port), '127.0.0.1');
process.once('SIGTERM', () => server.close(() => process.exit(0)));
`;

/** `node` arguments that run the baseline app on `port` (127.0.0.1). */
export function probotBaselineArgs(port: number): string[] {
  const probot = pathToFileURL(createRequire(import.meta.url).resolve('probot')).href;
  return ['--input-type=module', '-e', PROBOT_BASELINE_APP, probot, String(port)];
}

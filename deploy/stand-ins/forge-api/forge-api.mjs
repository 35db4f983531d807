// A stand-in for the two forge endpoints Tandem calls at start to learn its bot identity, for the image
// and compose checks on machines that reach no forge: Gitea's `GET /api/v1/user` and the GitHub App's
// `GET /api/v3/app` (GitHub Enterprise paths). Everything else is a 404, so any other forge call a check
// makes fails loudly. Plain node, no dependencies: it runs in Tandem's own image.
//   node forge-api.mjs [port]     (default 3001; logs one line per request on stdout)
import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? 3001);
const answers = {
  'GET /api/v1/user': { id: 1, login: 'tandem-bot', full_name: 'Tandem', email: 'tandem@localhost' },
  'GET /api/v3/app': { id: 424242, slug: 'tandem-ci', name: 'Tandem CI', owner: { login: 'ci' } },
};

createServer((req, res) => {
  const key = `${req.method} ${(req.url ?? '').split('?')[0]}`;
  const body = answers[key];
  console.log(`${key} ${body ? 200 : 404}`);
  res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body ?? { message: 'Not Found' }));
}).listen(port, '0.0.0.0', () => console.log(`forge stand-in listening on ${port}`));

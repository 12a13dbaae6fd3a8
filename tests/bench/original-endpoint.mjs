// A re-creation of the endpoint this project replaces, for the benchmark
// only: plain Node.js (node:http and the built-in fetch), the same steps
// the original TypeScript took on every request: a new OAuth token, then
// the first page of participants, passed back as it came. It keeps the
// original's defects on purpose (no key check, the id pasted raw into the
// URL, one page only, no timeouts); it is never deployed.
//
//   ZOOM_TOKEN_URL=... ZOOM_API_BASE=... PORT=... node original-endpoint.mjs
import http from 'node:http';

const tokenUrl = process.env.ZOOM_TOKEN_URL;
const apiBase = process.env.ZOOM_API_BASE;
const basic = Buffer.from(`${process.env.ZOOM_CLIENT_ID}:${process.env.ZOOM_CLIENT_SECRET}`).toString('base64');

http.createServer(async (req, res) => {
  let body = '';
  for await (const chunk of req) body += chunk;
  try {
    const { zoomCallId } = JSON.parse(body);
    const tok = await fetch(tokenUrl, {
      method: 'POST',
      headers: { Authorization: `Basic ${basic}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `grant_type=account_credentials&account_id=${process.env.ZOOM_ACCOUNT_ID}`,
    }).then((r) => r.json());
    const data = await fetch(`${apiBase}/past_meetings/${zoomCallId}/participants`, {
      headers: { Authorization: `Bearer ${tok.access_token}` },
    }).then((r) => r.json());
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(data));
  } catch (e) {
    res.writeHead(500, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ error: String(e) }));
  }
}).listen(Number(process.env.PORT), '127.0.0.1');

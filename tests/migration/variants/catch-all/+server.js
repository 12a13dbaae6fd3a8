// A catch-all route, as many apps have (a JSON 404 for unknown API paths,
// a proxy, a CMS). tests/migration/run.py builds a second copy of the app
// with this file as src/routes/[...rest]/+server.js: it then answers the
// relative event.fetch to /api/zoom/get-meeting-attendees itself, and the
// call never leaves Node.
export function fallback({ request, params }) {
	return new Response(
		JSON.stringify({ error: 'not_found', from: 'catch-all', method: request.method, path: '/' + params.rest }),
		{ status: 404, headers: { 'content-type': 'application/json' } }
	);
}

// The original caller, as the app's server code had it when the endpoint
// was a SvelteKit route of its own: a relative event.fetch to
// /api/zoom/get-meeting-attendees with the internal key. In the real app
// the coach and the client come from its session record; here from the
// query string.
//
// It answers 200 with what the call got back: {status, contentType, body}
// (body parsed as JSON, or null and the raw text). When SvelteKit's own
// request to the origin fails (TLS to a plain port, a name that does not
// resolve), the call gets SvelteKit's 500 {"message":"Internal Error"}.
import { json } from '@sveltejs/kit';
import { env } from '$env/dynamic/private';

export async function GET({ params, url, fetch }) {
	const q = url.searchParams;
	const res = await fetch('/api/zoom/get-meeting-attendees', {
		method: 'POST',
		headers: {
			Authorization: 'Bearer ' + env.INTERNAL_API_KEY,
			'Content-Type': 'application/json'
		},
		body: JSON.stringify({
			zoomCallId: params.zoomCallId,
			coach: { email: q.get('coachEmail') ?? '', name: q.get('coachName') ?? '' },
			client: { email: '', name: q.get('clientName') ?? '' }
		})
	});
	const text = await res.text();
	let body = null;
	try {
		body = JSON.parse(text);
	} catch {
		// not JSON: SvelteKit's own 404 page, say
	}
	return json({
		status: res.status,
		contentType: res.headers.get('content-type'),
		body,
		text: body === null ? text.slice(0, 2000) : undefined
	});
}

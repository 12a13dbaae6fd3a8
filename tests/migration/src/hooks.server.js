// The migration's one robust change: send the app's calls to
// /api/zoom/... to the responder's nginx at an internal address, a
// different origin from the app's own, so SvelteKit fetches it over the
// network whatever ORIGIN says and whatever routes the app has.
//
// With ZOOM_ATTENDEES_ORIGIN unset it changes nothing: every request goes
// on exactly as without the hook (tests/migration/run.py relies on that
// for its "no code change" cases).
import { env } from '$env/dynamic/private';

/** @type {import('@sveltejs/kit').HandleFetch} */
export async function handleFetch({ event, request, fetch }) {
	const target = env.ZOOM_ATTENDEES_ORIGIN; // e.g. http://127.0.0.1:8081
	if (target && request.url.startsWith(event.url.origin + '/api/zoom/')) {
		const url = new URL(request.url);
		request = new Request(new URL(url.pathname + url.search, target), request);
	}
	return fetch(request);
}

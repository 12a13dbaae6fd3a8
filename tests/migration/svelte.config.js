import adapter from '@sveltejs/adapter-node';

/** @type {import('@sveltejs/kit').Config} */
export default {
	kit: {
		// `node build` then reads ORIGIN, PROTOCOL_HEADER, HOST_HEADER, HOST
		// and PORT from the environment (adapter-node's defaults).
		adapter: adapter({ out: 'build' })
	}
};

import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';

export default defineConfig({
	plugins: [sveltekit()],
	// Small and quiet: the test builds it twice per run.
	logLevel: 'warn'
});

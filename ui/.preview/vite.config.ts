import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
export default defineConfig({ root: __dirname, base: './', plugins: [svelte()], build: { outDir: '/tmp/fs-preview-dist', emptyOutDir: true } });

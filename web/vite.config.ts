import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The consoles are one single-page app. The Postvault server serves dist/web/index.html for every
// path under /system, /adminaccess, /webaccess and /gateway, and the bundles under /assets/.
const webRoot = decodeURIComponent(new URL('.', import.meta.url).pathname);

export default defineConfig({
  root: webRoot,
  base: '/',
  plugins: [react()],
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    // npm run bench reads it to measure what a browser downloads for one face (src/bench/webaccess.bench.ts).
    manifest: true,
    // Mantine, recharts and React together are larger than Vite's default warning threshold; faces are split (see app-routes.tsx).
    chunkSizeWarningLimit: 700,
  },
  server: {
    proxy: {
      '/api': { target: 'http://127.0.0.1:8080', changeOrigin: false },
    },
  },
});

import react from "@vitejs/plugin-react";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

// The console lives under /console/ on the API's own origin (locally the runtime's gateway, in AWS a
// CloudFront behaviour), so the API keeps its root paths and needs no CORS.
export default defineConfig({
  base: "/console/",
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 1200,
    // Two pages: the office console (index.html) and the reps' installable phone app (m/index.html, /console/m/).
    rollupOptions: {
      input: {
        console: fileURLToPath(new URL("index.html", import.meta.url)),
        rep: fileURLToPath(new URL("m/index.html", import.meta.url)),
      },
    },
  },
  server: {
    // `npm run dev` (hot reload) next to a running `make dev`: API and sign-in calls go to it.
    proxy: { "^/(?!console/|@|src/|node_modules/).*": "http://127.0.0.1:3000" },
  },
});

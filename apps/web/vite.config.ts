import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const apiUrl = process.env.TIDEMARK_API_URL ?? "http://127.0.0.1:3000";

export default defineConfig({
  plugins: [react()],
  server: {
    // The API runs separately in development. Everything under /api, including the event
    // stream's WebSocket upgrade, is forwarded so the page and the API share one origin, as
    // in production. The Host header is kept so the cookie and any origin check see the page's host.
    // `vite preview` inherits this proxy.
    proxy: {
      "/api": { target: apiUrl, ws: true },
    },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
  },
});

import { defineConfig } from "vite";

// One bundle embedded in the `loupe` binary: no CDN, no inline scripts (the CSP forbids them).
export default defineConfig({
  base: "/",
  build: {
    outDir: "dist",
    assetsDir: "assets",
    sourcemap: false,
    chunkSizeWarningLimit: 1500,
  },
});

import { defineConfig } from "vitest/config";

export default defineConfig({
  // One copy of graphql, as Node loads it for Pothos and yoga (graphql 16 has no "exports"; Vite would pick its .mjs).
  resolve: { alias: [{ find: /^graphql$/, replacement: "graphql/index.js" }] },
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/e2e/**", "node_modules/**"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
  },
});

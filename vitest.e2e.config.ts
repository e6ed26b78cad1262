import { defineConfig } from "vitest/config";

/** Tests that need a system package (Debian's chromium): `npm run test:e2e`, run by .ci/run after it installs them. */
export default defineConfig({
  // One copy of graphql, as Node loads it for Pothos and yoga (graphql 16 has no "exports"; Vite would pick its .mjs).
  resolve: { alias: [{ find: /^graphql$/, replacement: "graphql/index.js" }] },
  test: {
    include: ["test/e2e/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
  },
});

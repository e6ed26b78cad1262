import { defineConfig } from "vitest/config";

/**
 * Tests that need a system package: Debian's chromium (test/e2e), redis-server (the fleet's), PostgreSQL (the shared
 * mirror), or that start whole gateway processes. `npm run test:e2e`; .ci/run installs the packages and runs them all.
 * `npm test` runs everything else, with Node alone.
 */
export const SYSTEM_PACKAGE_TESTS = [
  "test/e2e/**/*.test.ts",
  "test/fleet/**/*.test.ts",
  "test/live/fleet.test.ts",
  "test/live/burst.test.ts",
  "test/gateway/idempotencyStores.test.ts",
  "test/mirror/postgres.test.ts",
  "test/mirror/process.test.ts",
];

export default defineConfig({
  // One copy of graphql, as Node loads it for Pothos and yoga (graphql 16 has no "exports"; Vite would pick its .mjs).
  resolve: { alias: [{ find: /^graphql$/, replacement: "graphql/index.js" }] },
  test: {
    include: SYSTEM_PACKAGE_TESTS,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
  },
});

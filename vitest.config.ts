import { defineConfig } from "vitest/config";
import { SYSTEM_PACKAGE_TESTS } from "./vitest.e2e.config.js";

export default defineConfig({
  // One copy of graphql, as Node loads it for Pothos and yoga (graphql 16 has no "exports"; Vite would pick its .mjs).
  resolve: { alias: [{ find: /^graphql$/, replacement: "graphql/index.js" }] },
  test: {
    include: ["test/**/*.test.ts"],
    exclude: [...SYSTEM_PACKAGE_TESTS, "node_modules/**"],
    // Most of a test's time is spent waiting on the simulator, timers and sockets, not on a core.
    maxWorkers: 3,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
  },
});

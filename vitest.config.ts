import { defineConfig } from "vitest/config";
import { SYSTEM_PACKAGE_TESTS } from "./vitest.e2e.config.js";

/**
 * Tests that need a module registry of their own: one replaces a module (vi.mock); two register OpenTelemetry's
 * global tracer provider, which the API takes once per registry (a second registration in a shared one is ignored).
 */
const OWN_MODULES = [
  "test/unit/lazyContext.test.ts",
  "test/gateway/traceContext.test.ts",
  "test/gateway/observability.test.ts",
];

export default defineConfig({
  // One copy of graphql, as Node loads it for Pothos and yoga (graphql 16 has no "exports"; Vite would pick its .mjs).
  resolve: { alias: [{ find: /^graphql$/, replacement: "graphql/index.js" }] },
  test: {
    // Most of a test's time is spent waiting on the simulator, timers and sockets, not on a core.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    projects: [
      {
        extends: true,
        test: {
          name: "shared",
          include: ["test/**/*.test.ts"],
          exclude: [...SYSTEM_PACKAGE_TESTS, ...OWN_MODULES, "node_modules/**"],
          // A worker imports the gateway once for all its files (importing it per file was 330 s of a 300 s run on
          // 2 cores); each test builds its own gateway, simulator and mirror, so no state is shared.
          isolate: false,
        },
      },
      { extends: true, test: { name: "isolated", include: OWN_MODULES } },
    ],
  },
});

// npm run build: dist/ from src/ with esbuild (see docs/operations.md, "In production"). Type checking is
// `npm run typecheck`'s (esbuild only strips the types); dist/ runs under node alone.
import { rmSync } from "node:fs";
import { build } from "esbuild";

// An output directory may be named (the production test builds into one of its own); dist/ by default.
const outdir = process.argv[2] ?? "dist";
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: ["src/main.ts", "src/apiKey.ts", "src/simulator/main.ts"],
  outdir,
  bundle: true,
  // Chunks: what main.ts imports only when used (the simulator, Redis, OpenTelemetry's SDK) stays out of the start.
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  sourcemap: true,
  logLevel: "warning",
  // Loaded from node_modules at run time: graphql (one copy for Pothos and yoga, as Node resolves it), the native
  // better-sqlite3, pg and pino (optional native parts, worker files) and GraphiQL's 9 MB of strings.
  external: ["graphql", "better-sqlite3", "pg", "pino", "@graphql-yoga/render-graphiql"],
  // The CommonJS packages inside the bundle require Node's built-ins.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
});

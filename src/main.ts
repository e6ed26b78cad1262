import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { loadConfig, MTURK_ENDPOINTS } from "./config.js";
import { accountNamespace } from "./fleet/account.js";
import { createGateway } from "./gateway.js";
import { Drain } from "./http/shutdown.js";
import { createLiveHub, fleetLive } from "./live/index.js";
import { attachWebSocket } from "./live/ws.js";
import { MirrorStartError, openMirrorDatabase } from "./mirror/database.js";
import { createUpstreamBudget } from "./mturk/budget.js";
import { createMTurkClient } from "./mturk/client.js";
import { NO_CREDENTIALS_MESSAGE } from "./mturk/errors.js";
import { createLogger } from "./observability/logging.js";
import { createMetrics } from "./observability/metrics.js";
import { startTracing } from "./observability/tracing.js";
import { authEnabled } from "./security/auth.js";

/**
 * `npm start` (and `node dist/main.js`): the gateway, over the embedded simulator unless MTURK_ENDPOINT or
 * MTURK_ENV says otherwise. What only some configurations use (the simulator, Redis, PostgreSQL, OpenTelemetry's
 * SDK, GraphiQL's assets) is imported when used: a gateway pays at start only for what it runs.
 */
// The SDK release is pinned for Node 20 on purpose (package.json); its notice that later releases need Node 22 is
// for whoever upgrades it, not for everyone who starts the gateway.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
const config = (() => {
  try {
    return loadConfig();
  } catch (error) {
    // A configuration mistake is the operator's to fix: say what, without a stack trace.
    console.error((error as Error).message);
    process.exit(1);
  }
})();
/** The embedded simulator, with its switches from SIMULATOR_PAGING etc. as `npm run simulator` reads them. */
async function embeddedSimulator() {
  const [{ startSimulator }, { switchesFromEnv }] = await Promise.all([
    import("./simulator/server.js"),
    import("./simulator/switches.js"),
  ]);
  let switches: ReturnType<typeof switchesFromEnv>;
  try {
    switches = switchesFromEnv(process.env);
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }
  return startSimulator({ seed: config.SIMULATOR_SEED, size: config.SIMULATOR_SIZE, switches });
}
let endpoint: string | undefined;
let credentials: { accessKeyId: string; secretAccessKey: string } | undefined;
let describe: string;
const simulator = config.mode === "simulator" ? await embeddedSimulator() : undefined;
if (simulator) {
  endpoint = simulator.url;
  credentials = simulator.credentials;
  describe = `embedded MTurk simulator at ${simulator.url} (seed ${config.SIMULATOR_SEED}, size ${config.SIMULATOR_SIZE}); no AWS credentials used`;
} else if (config.mode === "custom") {
  endpoint = config.MTURK_ENDPOINT;
  describe = `MTurk-compatible endpoint ${endpoint} (credentials from the AWS default chain)`;
} else {
  endpoint = MTURK_ENDPOINTS[config.mode as "sandbox" | "production"];
  describe = `MTurk ${config.mode.toUpperCase()} at ${endpoint} (credentials from the AWS default chain)`;
}

const logger = createLogger(config.LOG_LEVEL);
const tracing = await startTracing(config.tracesExporter, config.OTEL_EXPORTER_OTLP_ENDPOINT);
const metrics = createMetrics();
const scheduler = createUpstreamBudget(config, metrics.registry);
const client = createMTurkClient({
  endpoint,
  credentials,
  maxAttempts: config.MTURK_MAX_ATTEMPTS,
  timeoutMs: config.MTURK_TIMEOUT_MS,
  // The fleet's budget takes the bucket's place later (useBudget): it needs the client's access key id first.
  scheduler,
  metrics,
});
/** The credentials the SDK's default chain finds, or why not (said at start: every request would fail alike). */
const chainCredentials = credentials
  ? Promise.resolve(credentials)
  : client.config.credentials().catch((error: Error) => {
      if (error.name === "CredentialsProviderError") console.warn(`WARNING: ${NO_CREDENTIALS_MESSAGE}`);
      else console.warn(`WARNING: the AWS credentials could not be read (${error.name}).`);
      return undefined;
    });
/** The fleet's key namespace and the mirror name the MTurk account: the endpoint and the access key id (never the secret). */
async function accessKeyId(): Promise<string | undefined> {
  return (await chainCredentials)?.accessKeyId;
}
const keyId = await accessKeyId();
if (config.REDIS_URL && !keyId) {
  console.error(
    "REDIS_URL is set, but no AWS credentials name the MTurk account (the AWS default credential chain found none).",
  );
  process.exit(1);
}
// The mirror of the account, opened (and migrated) before anything is served: a problem stops the start in one line.
const database = await openMirrorDatabase({
  databaseUrl: config.DATABASE_URL,
  dataDir: config.DATA_DIR,
  account: accountNamespace(endpoint as string, keyId ?? "(no credentials)"),
  // The embedded simulator starts from its seed every time: so does its mirror.
  fileName: simulator ? "mirror-simulator.sqlite" : undefined,
  fresh: simulator !== undefined,
}).catch((error) => {
  console.error(
    error instanceof MirrorStartError ? error.message : `The mirror could not be opened: ${(error as Error).message}`,
  );
  process.exit(1);
});
const fleet = config.REDIS_URL
  ? await (await import("./fleet/index.js")).startFleet({
      redisUrl: config.REDIS_URL,
      endpoint: endpoint as string,
      accessKeyId: keyId as string,
      config,
      logger,
      registry: metrics.registry,
    })
  : undefined;
if (fleet?.budget) scheduler.useBudget(fleet.budget);
// The embedded simulator signs its SNS deliveries with its own certificate, served from its origin.
const live = createLiveHub({
  config,
  client,
  metrics,
  logger,
  pressure: scheduler,
  certificateOrigins: simulator && [simulator.url],
  fleet: fleet && fleetLive(fleet.link, config),
});
const drain = new Drain();
const yoga = createGateway({
  config,
  client,
  database,
  metrics,
  logger,
  shared: fleet?.shared,
  live,
  drain,
  simulatorOrigin: simulator?.url,
});
const server = createServer(drain.wrap(yoga));
// graphql-ws at /graphql on the same port: every operation goes through the same pipeline as HTTP.
const sockets = attachWebSocket(server, yoga as never, {
  origins: config.CORS_ORIGINS,
  maxPayload: config.MAX_BODY_BYTES,
  maxTokens: config.MAX_TOKENS,
});
// A connection that stalls its request cannot hold the server: Node's own request timeout bounds it.
server.requestTimeout = config.REQUEST_TIMEOUT_MS + 5_000;
server.listen(config.PORT, config.HOST, () => {
  // The port bound, not the one asked for: PORT=0 picks a free one.
  const { port } = server.address() as AddressInfo;
  // The embedded simulator delivers MTurk's notifications (Transport SNS) to this gateway.
  if (simulator) simulator.notifications.endpoint = `http://127.0.0.1:${port}/notifications/sns`;
  console.log(
    `MTurk GraphQL gateway: http://localhost:${port}/graphql${config.graphiql ? " (GraphiQL in a browser)" : ""}`,
  );
  console.log(`Mode: ${config.mode} - ${describe}`);
  console.log(
    `Rate budget: ${config.ratePerSecond > 0 ? `${config.ratePerSecond} calls/s, burst ${config.MTURK_RATE_BURST}` : "unlimited"}; metrics at /metrics; health at /health and /ready; traces: ${config.tracesExporter}`,
  );
  if (fleet) console.log(fleet.describe);
  console.log(`Mirror: ${database.kind === "postgres" ? "PostgreSQL" : "SQLite"} at ${database.where}`);
  if (simulator)
    console.log(
      `Simulator's worker side (workers, HITs accepted and submitted): http://localhost:${port}/_simulator/ - e.g. curl -s localhost:${port}/_simulator/fixtures, then curl -s -X POST localhost:${port}/_simulator/hits/<hitId>/submissions -d '{"count":1}'`,
    );
  if (!authEnabled(config.auth))
    console.warn(
      "WARNING: AUTHENTICATION IS OFF. Anyone who can reach this port can read and write the MTurk account. Set AUTH_API_KEYS or AUTH_JWT_SECRET before exposing it.",
    );
});

/**
 * SIGTERM or SIGINT: /ready 503 and new requests refused at once, subscriptions ended with a final message, the
 * requests in flight answered (SHUTDOWN_GRACE_MS at most), then the traces flushed and the mirror's database
 * closed. A second signal stops at once.
 */
let stopping = false;
const stop = async (signal: string) => {
  if (stopping) {
    console.error(`${signal} again: stopping now.`);
    process.exit(1);
  }
  stopping = true;
  console.log(`${signal}: draining (${config.SHUTDOWN_GRACE_MS} ms at most); a second signal stops at once.`);
  const cut = await drain.stop(config.SHUTDOWN_GRACE_MS);
  if (cut > 0) console.error(`${cut} requests were still open after SHUTDOWN_GRACE_MS: closed unanswered.`);
  server.close();
  server.closeAllConnections();
  await sockets.close();
  await live.close();
  await yoga.dispose();
  await fleet?.close();
  await tracing?.shutdown();
  await simulator?.close();
  console.log("Stopped.");
  process.exit(cut > 0 ? 1 : 0);
};
process.on("SIGINT", () => void stop("SIGINT"));
process.on("SIGTERM", () => void stop("SIGTERM"));

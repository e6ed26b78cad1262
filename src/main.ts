import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { loadConfig, MTURK_ENDPOINTS } from "./config.js";
import { startFleet } from "./fleet/index.js";
import { accountNamespace } from "./fleet/link.js";
import { createGateway } from "./gateway.js";
import { warmGraphiQLAssets } from "./graphiql/assets.js";
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
import { startSimulator } from "./simulator/server.js";
import { switchesFromEnv } from "./simulator/switches.js";

/** `npm start`: the gateway, over the embedded simulator unless MTURK_ENDPOINT or MTURK_ENV says otherwise. */
const config = (() => {
  try {
    return loadConfig();
  } catch (error) {
    // A configuration mistake is the operator's to fix: say what, without a stack trace.
    console.error((error as Error).message);
    process.exit(1);
  }
})();
/** The embedded simulator's switches from SIMULATOR_PAGING etc., as `npm run simulator` reads them. */
function simulatorSwitches() {
  try {
    return switchesFromEnv(process.env);
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }
}
let endpoint: string | undefined;
let credentials: { accessKeyId: string; secretAccessKey: string } | undefined;
let describe: string;
const simulator =
  config.mode === "simulator"
    ? await startSimulator({ seed: config.SIMULATOR_SEED, size: config.SIMULATOR_SIZE, switches: simulatorSwitches() })
    : undefined;
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
const tracing = startTracing(config.tracesExporter, config.OTEL_EXPORTER_OTLP_ENDPOINT);
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
  ? await startFleet({
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
const yoga = createGateway({ config, client, database, metrics, logger, shared: fleet?.shared, live });
const server = createServer(yoga);
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
  if (config.graphiql) void warmGraphiQLAssets();
  if (!authEnabled(config.auth))
    console.warn(
      "WARNING: AUTHENTICATION IS OFF. Anyone who can reach this port can read and write the MTurk account. Set AUTH_API_KEYS or AUTH_JWT_SECRET before exposing it.",
    );
});

const stop = async () => {
  server.close();
  await sockets.close();
  await live.close();
  await yoga.dispose();
  await fleet?.close();
  await tracing?.shutdown();
  await simulator?.close();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);

import { createServer } from "node:http";
import { loadConfig, MTURK_ENDPOINTS } from "./config.js";
import { createGateway } from "./gateway.js";
import { createMTurkClient } from "./mturk/client.js";
import { startSimulator } from "./simulator/server.js";

/** `npm start`: the gateway, over the embedded simulator unless MTURK_ENDPOINT or MTURK_ENV says otherwise. */
const config = loadConfig();
let endpoint: string | undefined;
let credentials: { accessKeyId: string; secretAccessKey: string } | undefined;
let describe: string;
const simulator =
  config.mode === "simulator"
    ? await startSimulator({ seed: config.SIMULATOR_SEED, size: config.SIMULATOR_SIZE })
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

const client = createMTurkClient({
  endpoint,
  credentials,
  maxAttempts: config.MTURK_MAX_ATTEMPTS,
  timeoutMs: config.MTURK_TIMEOUT_MS,
});
const yoga = createGateway({ config, client });
const server = createServer(yoga);
server.listen(config.PORT, config.HOST, () => {
  console.log(`MTurk GraphQL gateway: http://localhost:${config.PORT}/graphql (GraphiQL in a browser)`);
  console.log(`Mode: ${config.mode} - ${describe}`);
});

const stop = async () => {
  server.close();
  await simulator?.close();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);

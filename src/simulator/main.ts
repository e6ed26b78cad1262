import { parseArgs } from "node:util";
import { z } from "zod";
import { SEED_SIZES } from "./seed.js";
import { startSimulator } from "./server.js";
import { parseSwitchText, SWITCH_ENV } from "./switches.js";

/**
 * `npm run simulator -- --port 4010 --seed 7 --size large --latency 50 --jitter 10` (or the SIMULATOR_* variables;
 * sizes: empty, tiny, demo, large, huge), and the switches: `--paging offset --no-token-on-last-page --duplicate-error message --list-lag 5
 * --auto-disposal creation`.
 */
const { values } = parseArgs({
  // --no-token-on-last-page (the switch is on by default).
  allowNegative: true,
  options: {
    port: { type: "string" },
    host: { type: "string" },
    seed: { type: "string" },
    size: { type: "string" },
    latency: { type: "string" },
    jitter: { type: "string" },
    paging: { type: "string" },
    "token-on-last-page": { type: "boolean" },
    "duplicate-error": { type: "string" },
    "list-lag": { type: "string" },
    "auto-disposal": { type: "string" },
    "sns-endpoint": { type: "string" },
  },
});
const env = process.env;
const config = z
  .object({
    port: z.coerce.number().int().min(0).max(65535),
    host: z.string(),
    seed: z.coerce.number().int(),
    size: z.enum(SEED_SIZES),
    latency: z.coerce.number().min(0),
    jitter: z.coerce.number().min(0),
    accessKeyId: z.string().min(1).optional(),
    secretAccessKey: z.string().min(1).optional(),
    /** Where MTurk's notifications with Transport SNS are delivered (a gateway's /notifications/sns). */
    snsEndpoint: z.url().optional(),
  })
  .parse({
    port: values.port ?? env.SIMULATOR_PORT ?? 4010,
    host: values.host ?? env.SIMULATOR_HOST ?? "127.0.0.1",
    seed: values.seed ?? env.SIMULATOR_SEED ?? 1,
    size: values.size ?? env.SIMULATOR_SIZE ?? "demo",
    latency: values.latency ?? env.SIMULATOR_LATENCY_MS ?? 0,
    jitter: values.jitter ?? env.SIMULATOR_JITTER_MS ?? 0,
    accessKeyId: env.SIMULATOR_ACCESS_KEY_ID,
    secretAccessKey: env.SIMULATOR_SECRET_ACCESS_KEY,
    snsEndpoint: values["sns-endpoint"] ?? env.SIMULATOR_SNS_ENDPOINT,
  });

const switches = (() => {
  try {
    return parseSwitchText(
      {
        paging: values.paging ?? env[SWITCH_ENV.paging],
        tokenOnLastPage: values["token-on-last-page"] ?? env[SWITCH_ENV.tokenOnLastPage],
        duplicateError: values["duplicate-error"] ?? env[SWITCH_ENV.duplicateError],
        listLagSeconds: values["list-lag"] ?? env[SWITCH_ENV.listLagSeconds],
        autoDisposal: values["auto-disposal"] ?? env[SWITCH_ENV.autoDisposal],
      },
      {
        paging: `--paging / ${SWITCH_ENV.paging}`,
        tokenOnLastPage: `--token-on-last-page / ${SWITCH_ENV.tokenOnLastPage}`,
        duplicateError: `--duplicate-error / ${SWITCH_ENV.duplicateError}`,
        listLagSeconds: `--list-lag / ${SWITCH_ENV.listLagSeconds}`,
        autoDisposal: `--auto-disposal / ${SWITCH_ENV.autoDisposal}`,
      },
    );
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  }
})();

const simulator = await startSimulator({
  port: config.port,
  host: config.host,
  seed: config.seed,
  size: config.size,
  latency: { fixedMs: config.latency, jitterMs: config.jitter },
  switches,
  credentials:
    config.accessKeyId && config.secretAccessKey
      ? { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey }
      : undefined,
  snsEndpoint: config.snsEndpoint,
});
console.log(`MTurk simulator listening on ${simulator.url} (seed ${config.seed}, size ${config.size})`);
console.log(`  AWS_ACCESS_KEY_ID=${simulator.credentials.accessKeyId}`);
console.log(`  AWS_SECRET_ACCESS_KEY=${simulator.credentials.secretAccessKey}`);
console.log(`  region us-east-1; worker side and test hooks under ${simulator.url}/_simulator/`);
console.log(`  switches ${JSON.stringify(simulator.switches)} (GET/PUT ${simulator.url}/_simulator/switches)`);
console.log(
  `  SNS notifications to ${config.snsEndpoint ?? "(none: --sns-endpoint, or PUT /_simulator/sns/settings)"}, signed with ${simulator.url}/_simulator/sns/cert.pem`,
);
const stop = () => simulator.close().then(() => process.exit(0));
process.on("SIGINT", stop);
process.on("SIGTERM", stop);

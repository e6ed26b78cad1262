import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { GatewayConfig } from "../config.js";
import type { SharedServices } from "../gateway.js";
import { CursorCodec } from "../mturk/cursors.js";
import type { RateBudget } from "../mturk/rateBudget.js";
import { accountNamespace } from "./account.js";
import { FleetCursorCodec, fleetCursorCodec } from "./cursors.js";
import { FleetIdempotencyStore } from "./idempotency.js";
import { RedisLink, redactedUrl } from "./link.js";
import { FleetRateBudget } from "./rateBudget.js";

/** How long start-up waits for Redis before it starts on per-instance fallbacks. */
const CONNECT_WAIT_MS = 3_000;

export interface FleetOptions {
  redisUrl: string;
  /** The MTurk account: its endpoint and access key id name the key namespace (hashed; never the secret). */
  endpoint: string;
  accessKeyId: string;
  config: GatewayConfig;
  logger?: Logger;
  registry?: Registry;
}

export interface Fleet {
  /** For createGateway. */
  shared: SharedServices;
  /** The fleet's rate budget, when the configuration sets a rate. */
  budget?: RateBudget;
  /** One line for the start-up banner. */
  describe: string;
  /** The connections to Redis, for what else the fleet shares (the subscriptions' log and leases, src/live). */
  link: RedisLink;
  close(): Promise<void>;
}

/**
 * Makes this instance one of a fleet on Redis: one rate budget, one cursor
 * secret and one set of idempotency records per MTurk account. Starts even when Redis does not answer (on
 * per-instance fallbacks, which /ready reports) and shares as soon as it does.
 */
export async function startFleet(options: FleetOptions): Promise<Fleet> {
  const { config, logger, registry } = options;
  const link = new RedisLink(
    options.redisUrl,
    accountNamespace(options.endpoint, options.accessKeyId),
    logger,
    registry,
  );
  await link.connected(CONNECT_WAIT_MS);
  const codec = config.CURSOR_SECRET ? new CursorCodec(config.CURSOR_SECRET) : await fleetCursorCodec(link);
  const budget =
    config.ratePerSecond > 0
      ? new FleetRateBudget(link, config.ratePerSecond, config.MTURK_RATE_BURST, registry)
      : undefined;
  const degraded = () => {
    const outage = link.degraded();
    if (outage) return outage;
    if (codec instanceof FleetCursorCodec && !codec.shared)
      return "cursor secret is this instance's own (Redis did not answer at start); the fleet's is adopted when it does";
    return undefined;
  };
  return {
    shared: {
      idempotency: (local) => new FleetIdempotencyStore(link, local),
      codec,
      plugins: [],
      degraded,
    },
    budget,
    link,
    describe: `Fleet: Redis at ${redactedUrl(options.redisUrl)}, key namespace ${link.namespace}; ${link.up ? "shared rate budget, cursor secret and idempotency records" : "Redis not answering yet: per-instance fallbacks until it does"}`,
    close: async () => {
      await link.close();
    },
  };
}

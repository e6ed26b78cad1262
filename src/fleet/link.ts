import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import type { Logger } from "pino";
import { Gauge, type Registry } from "prom-client";

/** How often an instance says it is alive, and how long it counts as alive without saying so. */
const HEARTBEAT_MS = 2_000;
const ALIVE_MS = 3 * HEARTBEAT_MS;
/** A Redis that does not answer within this is treated as unreachable for that operation. */
const COMMAND_TIMEOUT_MS = 1_000;

/** The URL without its password, for logs. */
export function redactedUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = "***";
  return parsed.toString();
}

/**
 * The instance's connections to Redis and whether Redis answers. Commands fail fast while Redis is away (no offline
 * queue, no resend, a short timeout), so every shared service falls back to its per-instance variant at once, and
 * ioredis keeps reconnecting in the background; `onUp` callbacks run each time it is back.
 */
export class RedisLink {
  readonly redis: Redis;
  /** For blocking reads (XREAD BLOCK), which would otherwise hold up every other command. */
  readonly blocking: Redis;
  readonly instanceId = randomUUID();
  private downSince?: number = Date.now();
  private readonly upCallbacks: (() => void)[] = [];
  private instances = 1;
  private heartbeat?: NodeJS.Timeout;
  private closing = false;

  constructor(
    url: string,
    readonly namespace: string,
    private readonly logger?: Logger,
    registry?: Registry,
  ) {
    const options = {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      commandTimeout: COMMAND_TIMEOUT_MS,
      connectTimeout: 2_000,
      // ioredis's default backs off to 5 s; sharing should resume within a second of Redis's return.
      retryStrategy: (attempt: number) => Math.min(attempt * 100, 1_000),
      connectionName: `mturk-gateway-${this.instanceId.slice(0, 8)}`,
    };
    this.redis = new Redis(url, options);
    this.blocking = new Redis(url, { ...options, commandTimeout: undefined });
    // Errors are states here (the `close` and `ready` events say them); unhandled, ioredis would print each one.
    this.redis.on("error", () => {});
    this.blocking.on("error", () => {});
    this.redis.on("ready", () => this.wentUp());
    this.redis.on("close", () => this.wentDown());
    if (registry) {
      const gauge: Gauge = new Gauge({
        name: "gateway_fleet_redis_up",
        help: "1 while the fleet's Redis answers (state is shared), 0 while this instance runs on its own fallbacks.",
        registers: [registry],
        collect: () => gauge.set(this.up ? 1 : 0),
      });
    }
  }

  get up(): boolean {
    return this.redis.status === "ready";
  }

  key(...parts: string[]): string {
    return [this.namespace, ...parts].join(":");
  }

  /** Waits up to `ms` for the first connection; the gateway starts either way. */
  async connected(ms: number): Promise<boolean> {
    if (this.up) return true;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.redis.once("ready", () => {
        clearTimeout(timer);
        resolve();
      });
    });
    return this.up;
  }

  /** Runs `callback` each time Redis answers again (and now, if it does). */
  onUp(callback: () => void): void {
    this.upCallbacks.push(callback);
    if (this.up) callback();
  }

  /** Instances of this account seen alive recently (at least this one): the share of the budget each may spend alone. */
  fleetSize(): number {
    return this.instances;
  }

  /** Why this instance runs on per-instance fallbacks, if it does. */
  degraded(): string | undefined {
    if (this.downSince === undefined) return undefined;
    return `Redis unreachable since ${new Date(this.downSince).toISOString()}: per-instance fallbacks (local rate bucket at 1/${this.instances} of the budget, local idempotency records, cursor secret from memory)`;
  }

  private wentUp() {
    const returned = this.heartbeat !== undefined && this.downSince !== undefined;
    if (returned)
      this.logger?.info({ downMs: Date.now() - (this.downSince ?? 0) }, "fleet: Redis is back; sharing resumes");
    this.downSince = undefined;
    this.beat();
    this.heartbeat ??= setInterval(() => this.beat(), HEARTBEAT_MS).unref();
    for (const callback of this.upCallbacks) callback();
  }

  private wentDown() {
    if (this.downSince !== undefined || this.closing) return;
    this.downSince = Date.now();
    this.logger?.warn("fleet: Redis unreachable; this instance runs on per-instance fallbacks until it is back");
  }

  private beat() {
    if (!this.up) return;
    const key = this.key("instances");
    const now = Date.now();
    this.redis
      .multi()
      .zadd(key, now, this.instanceId)
      .zremrangebyscore(key, "-inf", now - ALIVE_MS)
      .zcard(key)
      .pexpire(key, ALIVE_MS)
      .exec()
      .then((results) => {
        const count = Number(results?.[2]?.[1]);
        if (count > 0) this.instances = count;
      })
      .catch(() => {});
  }

  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.heartbeat);
    if (this.up) await this.redis.zrem(this.key("instances"), this.instanceId).catch(() => {});
    this.redis.disconnect();
    this.blocking.disconnect();
  }
}

import { randomUUID } from "node:crypto";
import fc from "fast-check";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FleetIdempotencyStore } from "../../src/fleet/idempotency.js";
import { RedisLink } from "../../src/fleet/link.js";
import { machineRedis } from "./support.js";

/**
 * The fleet's idempotency records as a client of several instances sees them: whatever order claims come in, and
 * however often Redis loses everything (its keys deleted, as a restart without persistence does), an instance never
 * answers a key with a record other than the first it answered; while Redis keeps its keys, every instance answers
 * the fleet's first claim.
 */
let redisServer: Awaited<ReturnType<typeof machineRedis>>;
let redis: Redis;
beforeAll(async () => {
  redisServer = await machineRedis();
  redis = new Redis(redisServer.url);
});
afterAll(async () => {
  redis.disconnect();
  await redisServer.stop();
});

const command = fc.oneof(
  fc.record({ kind: fc.constant("claim" as const), instance: fc.nat(2), key: fc.nat(3), content: fc.nat(2) }),
  fc.record({ kind: fc.constant("lose" as const) }),
);

describe("FleetIdempotencyStore", () => {
  it("the record an instance holds wins over a fresh Redis claim; the fleet's first claim wins everywhere else", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 30 }), async (commands) => {
        const namespace = `edges-test:${randomUUID()}`;
        const links = [0, 1, 2].map(() => new RedisLink(redisServer.url, namespace));
        try {
          await Promise.all(links.map((l) => l.connected(2_000)));
          const stores = links.map((l) => new FleetIdempotencyStore(l));
          const answered = new Map<string, string>(); // instance:key → the fingerprint it answered first
          const fleetFirst = new Map<number, string>(); // key → the first fingerprint claimed since Redis lost all
          for (const c of commands) {
            if (c.kind === "lose") {
              const keys = await redis.keys(`${namespace}:*`);
              if (keys.length) await redis.del(...keys);
              fleetFirst.clear();
              continue;
            }
            const print = `content-${c.content}`;
            const { record } = await (stores[c.instance] as FleetIdempotencyStore).claim("SendBonus", `k${c.key}`, {
              fingerprint: print,
              firstAttemptAt: Date.now(),
            });
            const mine = `${c.instance}:${c.key}`;
            const before = answered.get(mine);
            if (before) expect(record.fingerprint).toBe(before);
            else {
              answered.set(mine, record.fingerprint);
              // A key this instance never saw: the fleet's record (or this claim, if Redis has none).
              const shared = fleetFirst.get(c.key);
              if (shared) expect(record.fingerprint).toBe(shared);
            }
            if (!fleetFirst.has(c.key)) fleetFirst.set(c.key, record.fingerprint);
          }
        } finally {
          // Closed first: a link's heartbeat would write its key again.
          await Promise.all(links.map((l) => l.close()));
          const keys = await redis.keys(`${namespace}:*`);
          if (keys.length) await redis.del(...keys);
        }
      }),
      { numRuns: 60 },
    );
  });
});

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Simulator, startSimulator } from "../../src/simulator/server.js";
import { type GatewayProcess, startGateway } from "../fleet/support.js";

/**
 * A gateway pointed at an MTurk (here the simulator, through MTURK_ENDPOINT) with no AWS credentials anywhere the
 * SDK's default chain looks: it says so at start and on every request, with its own code and where it looked, and
 * never as "MTurk rejected the gateway's credentials".
 */
let simulator: Simulator;
let gateway: GatewayProcess;
beforeAll(async () => {
  simulator = await startSimulator({ size: "tiny", seed: 2 });
  const home = mkdtempSync(join(tmpdir(), "no-aws-"));
  gateway = await startGateway({
    MTURK_ENDPOINT: simulator.url,
    // Nothing in the environment, an empty home (no ~/.aws), and no instance metadata to ask.
    HOME: home,
    AWS_EC2_METADATA_DISABLED: "true",
    LOG_LEVEL: "info",
  });
}, 60_000);
afterAll(async () => {
  await gateway?.stop();
  await simulator?.close();
});

describe("no AWS credentials", () => {
  it("every request that calls MTurk answers UPSTREAM_CREDENTIALS_MISSING, saying where credentials are looked for", async () => {
    const result = await gateway.query(`{ accountBalance { availableBalance { amount } } }`);
    const error = result.errors?.[0];
    expect(error?.extensions?.code).toBe("UPSTREAM_CREDENTIALS_MISSING");
    expect(error?.message).toMatch(/No AWS credentials/);
    for (const place of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "~/.aws"])
      expect(error?.message).toContain(place);
    expect(simulator.instrumentation.calls).toEqual([]);
  });

  it("is said at start, in one line, before any request", () => {
    const lines = gateway
      .output()
      .split("\n")
      .filter((l) => l.includes("No AWS credentials"));
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect(lines[0]).toContain("AWS_ACCESS_KEY_ID");
  });
});

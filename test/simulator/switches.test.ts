import { spawn } from "node:child_process";
import {
  CreateWorkerBlockCommand,
  DeleteWorkerBlockCommand,
  ListWorkerBlocksCommand,
  type ListWorkerBlocksCommandOutput,
} from "@aws-sdk/client-mturk";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startSimulator } from "../../src/simulator/server.js";
import { DEFAULT_SWITCHES, type SimulatorSwitches, switchesFromEnv } from "../../src/simulator/switches.js";
import { type SdkPair, startSdkPair } from "../support/sdk.js";

let pair: SdkPair;
beforeAll(async () => {
  pair = await startSdkPair("empty");
});
afterAll(() => pair.close());

describe("the switch API", () => {
  it("reads and changes switches at run time; a reset keeps them", async () => {
    expect(await pair.control("GET", "switches")).toEqual({
      paging: "keyset",
      tokenOnLastPage: true,
      duplicateError: "DuplicateRequest",
      listLagSeconds: 0,
      autoDisposal: "expiration",
    });
    const changed = await pair.control("PUT", "switches", {
      paging: "page",
      listLagSeconds: 2.5,
      autoDisposal: "creation",
    });
    expect(changed).toEqual({ ...DEFAULT_SWITCHES, paging: "page", listLagSeconds: 2.5, autoDisposal: "creation" });
    await pair.control("POST", "reset", {});
    expect(await pair.control("GET", "switches")).toEqual(changed);
    for (const bad of [
      { paging: "cursor" },
      { listLagSeconds: -1 },
      { tokenOnLastPage: "yes" },
      { autoDisposal: "review" },
      { lag: 1 },
    ]) {
      const response = await fetch(`${pair.simulator.url}/_simulator/switches`, {
        method: "PUT",
        body: JSON.stringify(bad),
      });
      expect(response.status, JSON.stringify(bad)).toBe(400);
      expect(((await response.json()) as { error: string }).error).toContain("Invalid simulator switches");
    }
    expect(await pair.control("GET", "switches")).toEqual(changed);
    await pair.control("PUT", "switches", DEFAULT_SWITCHES);
  });

  it("takes switches as startSimulator options and from SIMULATOR_* variables", async () => {
    const sim = await startSimulator({ size: "empty", switches: { duplicateError: "opaque", tokenOnLastPage: false } });
    try {
      expect(sim.switches).toEqual({ ...DEFAULT_SWITCHES, duplicateError: "opaque", tokenOnLastPage: false });
    } finally {
      await sim.close();
    }
    expect(
      switchesFromEnv({
        SIMULATOR_PAGING: "offset",
        SIMULATOR_TOKEN_ON_LAST_PAGE: "false",
        SIMULATOR_DUPLICATE_ERROR: "message",
        SIMULATOR_LIST_LAG_SECONDS: "5",
        SIMULATOR_AUTO_DISPOSAL: "creation",
      }),
    ).toEqual({
      paging: "offset",
      tokenOnLastPage: false,
      duplicateError: "message",
      listLagSeconds: 5,
      autoDisposal: "creation",
    });
    expect(switchesFromEnv({})).toEqual({});
    expect(() => switchesFromEnv({ SIMULATOR_PAGING: "cursor" })).toThrow(/SIMULATOR_PAGING/);
    expect(() => switchesFromEnv({ SIMULATOR_TOKEN_ON_LAST_PAGE: "1" })).toThrow(/SIMULATOR_TOKEN_ON_LAST_PAGE/);
    expect(() => switchesFromEnv({ SIMULATOR_AUTO_DISPOSAL: "review" })).toThrow(/SIMULATOR_AUTO_DISPOSAL/);
  });

  it("takes switches as `npm run simulator` flags, over the variables", async () => {
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "src/simulator/main.ts",
        ...["--port", "0", "--size", "empty", "--paging", "offset", "--no-token-on-last-page"],
        ...["--duplicate-error", "message", "--list-lag", "5", "--auto-disposal", "creation"],
      ],
      {
        env: {
          ...process.env,
          SIMULATOR_PAGING: "page",
          SIMULATOR_LIST_LAG_SECONDS: "9",
          SIMULATOR_AUTO_DISPOSAL: "expiration",
        },
        stdio: "pipe",
      },
    );
    try {
      let output = "";
      const line = await new Promise<string>((resolve, reject) => {
        child.stdout.on("data", (chunk: Buffer) => {
          output += chunk.toString();
          const match = /switches (\{.*\})/.exec(output);
          if (match?.[1]) resolve(match[1]);
        });
        child.on("exit", (code) => reject(new Error(`simulator exited ${code}: ${output}`)));
      });
      expect(JSON.parse(line)).toEqual({
        paging: "offset",
        tokenOnLastPage: false,
        duplicateError: "message",
        listLagSeconds: 5,
        autoDisposal: "creation",
      });
    } finally {
      child.kill();
    }
  });
});

/** Worker blocks make a list whose items are easy to add and remove: the blocked worker ids in seq order. */
let blocked: string[] = [];
const ids = (page: ListWorkerBlocksCommandOutput) => (page.WorkerBlocks ?? []).map((b) => b.WorkerId as string);
const list = (MaxResults: number, NextToken?: string) =>
  pair.client.send(new ListWorkerBlocksCommand({ MaxResults, NextToken }));
async function blockWorkers(n: number) {
  for (const id of blocked) await pair.client.send(new DeleteWorkerBlockCommand({ WorkerId: id }));
  blocked = [];
  for (let i = 0; i < n; i += 1) {
    const { workerId } = await pair.control<{ workerId: string }>("POST", "workers", {});
    await pair.client.send(new CreateWorkerBlockCommand({ WorkerId: workerId, Reason: "r" }));
    blocked.push(workerId);
  }
}
const use = (switches: Partial<SimulatorSwitches>) =>
  pair.control("PUT", "switches", { ...DEFAULT_SWITCHES, ...switches });

describe("paging modes", () => {
  beforeEach(() => blockWorkers(10));
  afterAll(() => use({}));

  it.each([
    ["keyset", [3, 4, 5]],
    ["offset", [4, 5, 6]],
    ["page", [4, 5, 6]],
  ] as const)("%s: removing an item before the token moves the next page accordingly", async (paging, expected) => {
    await use({ paging });
    const first = await list(3);
    expect(ids(first)).toEqual(blocked.slice(0, 3));
    await pair.client.send(new DeleteWorkerBlockCommand({ WorkerId: blocked[0] as string }));
    // keyset resumes after the last item seen; offset and page count positions in the shrunken list, skipping one.
    expect(ids(await list(3, first.NextToken))).toEqual(expected.map((i) => blocked[i]));
  });

  it.each([
    ["keyset", [3, 4, 5, 6, 7]],
    ["offset", [3, 4, 5, 6, 7]],
    ["page", [5, 6, 7, 8, 9]],
  ] as const)("%s: a different MaxResults mid-walk", async (paging, expected) => {
    await use({ paging });
    const first = await list(3);
    // page: the token says "page 1", read with this call's MaxResults as items 5..9.
    expect(ids(await list(5, first.NextToken))).toEqual(expected.map((i) => blocked[i]));
  });

  it("a token keeps the mode its walk started in when the switch is flipped mid-walk", async () => {
    await use({ paging: "page" });
    const first = await list(3);
    await use({ paging: "keyset" });
    expect(ids(await list(5, first.NextToken))).toEqual(blocked.slice(5, 10));
    const fresh = await list(3);
    expect(ids(await list(5, fresh.NextToken))).toEqual(blocked.slice(3, 8));
  });
});

describe("tokenOnLastPage", () => {
  afterAll(() => use({}));

  for (const paging of ["keyset", "offset", "page"] as const) {
    it(`${paging}: a short or full last page carries a token that leads to an empty page without one`, async () => {
      for (const [count, expectedSizes] of [
        [5, [3, 2, 0]],
        [6, [3, 3, 0]],
      ] as const) {
        await blockWorkers(count);
        await use({ paging, tokenOnLastPage: true });
        const sizes: number[] = [];
        let token: string | undefined;
        let pages = 0;
        do {
          const page = await list(3, token);
          sizes.push(ids(page).length);
          if (ids(page).length === 0) expect(page.NextToken).toBeUndefined();
          token = page.NextToken;
          pages += 1;
        } while (token && pages < 10);
        expect(sizes).toEqual(expectedSizes);
        await use({ paging, tokenOnLastPage: false });
        const last = await list(3, (await list(3)).NextToken);
        expect(ids(last)).toHaveLength(count - 3);
        expect(last.NextToken).toBeUndefined();
      }
    });
  }

  it("is on by default: MTurk sends a NextToken on a short last page (three captures)", async () => {
    await blockWorkers(2);
    await use({});
    // No MaxResults: a default page of 10 holding 2, with a token, as the psiTurk capture of ListHITs shows.
    const short = await pair.client.send(new ListWorkerBlocksCommand({}));
    expect(short.NumResults).toBe(2);
    expect(short.NextToken).toBeDefined();
    const after = await pair.client.send(new ListWorkerBlocksCommand({ NextToken: short.NextToken }));
    expect(after).toMatchObject({ NumResults: 0, WorkerBlocks: [] });
    expect(after.NextToken).toBeUndefined();
  });

  it("an empty list never carries a token", async () => {
    await blockWorkers(0);
    await use({ tokenOnLastPage: true });
    const empty = await list(3);
    expect(empty.WorkerBlocks).toEqual([]);
    expect(empty.NextToken).toBeUndefined();
  });
});

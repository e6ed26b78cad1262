import { existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateQualificationTypeCommand, ListHITsCommand } from "@aws-sdk/client-mturk";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../support/stack.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
let stack: Stack;
let server: Server;
let browser: Browser;
let url: string;
/** Bytes the server wrote (HTTP headers and bodies, as on the wire), over every connection since the last reset. */
const sockets = new Set<Socket>();
let closedBytes = 0;
const written = () => closedBytes + [...sockets].reduce((sum, s) => sum + s.bytesWritten, 0);
let inFlight = 0;
let lastActivity = 0;
/** Until the server has had no request in flight for a second (GraphiQL loads workers and introspects late). */
const serverIdle = async () => {
  await expect
    .poll(() => inFlight === 0 && performance.now() - lastActivity > 1000, { timeout: 30_000, interval: 200 })
    .toBe(true);
};
const resetWritten = () => {
  closedBytes = -[...sockets].reduce((sum, s) => sum + s.bytesWritten, 0);
};

/** What MTurk lists first (newest first), read through the SDK: what `hits(first: 1)` must show. */
async function firstListedHit() {
  const { HITs } = await stack.client.send(new ListHITsCommand({ MaxResults: 1 }));
  const hit = HITs?.[0];
  if (!hit?.Title || !hit.Reward) throw new Error("the simulator lists no HIT");
  return { Title: hit.Title, Reward: hit.Reward };
}

beforeAll(async () => {
  // Not skipped when missing: `npm run test:e2e` needs Debian's chromium, which .ci/run installs.
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: apt-get install chromium`);
  stack = await startStack({ size: "demo", seed: 1, env: { SUBSCRIPTION_POLL_MS: "300" } });
  server = createServer(stack.yoga);
  server.on("request", (_request, response) => {
    inFlight += 1;
    lastActivity = performance.now();
    response.on("close", () => {
      inFlight -= 1;
      lastActivity = performance.now();
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => {
      closedBytes += socket.bytesWritten;
      sockets.delete(socket);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  server?.close();
  await stack?.close();
});

describe("GraphiQL in Chromium", () => {
  it("opens with the example operations, runs one and shows its data from the simulator", async () => {
    const page = await browser.newPage();
    const failed: string[] = [];
    // Requests the page itself cancels when it navigates (a worker still loading) are not failures.
    page.on("requestfailed", (request) => {
      if (request.failure()?.errorText !== "net::ERR_ABORTED") failed.push(request.url());
    });
    await page.goto(url);
    await page.getByText("query PendingRequestsByType").first().waitFor({ timeout: 30_000 });
    // Monaco's workers load after the editor shows: leaving before would cancel them.
    await serverIdle();
    const operation = `query OneHit { hits(first: 1) { edges { node { hitId title reward { formatted } } } } }`;
    await page.goto(`${url}?query=${encodeURIComponent(operation)}`);
    await page.locator(".graphiql-execute-button").click({ timeout: 30_000 });
    const result = page.locator(".result-window");
    // Monaco wraps long lines: compare with white space folded.
    const shown = async () => ((await result.textContent()) ?? "").replace(/\s+/g, " ");
    const first = await firstListedHit();
    await expect.poll(shown, { timeout: 30_000 }).toContain(`"title": "${first.Title}"`);
    expect(await shown()).toContain(`"formatted": "$${first.Reward}"`);
    await page.screenshot({ path: join(tmpdir(), "graphiql.png") });
    expect(failed.filter((u) => !u.startsWith("blob:"))).toEqual([]);
  });

  it("runs a live subscription and shows each new event as it arrives (SSE)", async () => {
    const created = await stack.client.send(
      new CreateQualificationTypeCommand({
        Name: "GraphiQL live",
        Description: "e2e",
        QualificationTypeStatus: "Active",
      }),
    );
    const type = created.QualificationType?.QualificationTypeId as string;
    const page = await browser.newPage();
    const operation = `subscription Live { qualificationRequestSubmitted(qualificationTypeId: "${type}") { qualificationRequestId } }`;
    await page.goto(`${url}?query=${encodeURIComponent(operation)}`);
    await page.locator(".graphiql-execute-button").click({ timeout: 30_000 });
    await new Promise((r) => setTimeout(r, 1_500));
    const { workerId } = await stack.control<{ workerId: string }>("POST", "workers", {});
    const request = await stack.control<{ qualificationRequest: { QualificationRequestId: string } }>(
      "POST",
      `workers/${workerId}/qualification-requests`,
      { qualificationTypeId: type },
    );
    const shown = async () => ((await page.locator(".result-window").textContent()) ?? "").replace(/\s+/g, " ");
    await expect.poll(shown, { timeout: 30_000 }).toContain(request.qualificationRequest.QualificationRequestId);
    await page.screenshot({ path: join(tmpdir(), "graphiql-live.png") });
    // Ends the subscription's SSE request: the weight test waits for a server with nothing in flight.
    await page.close();
  });
});

describe("GraphiQL's weight", () => {
  const MB = 1_000_000;
  it("is a page under 50 KB with hashed, compressed, immutable assets", async () => {
    const page = await fetch(url, { headers: { accept: "text/html" } });
    const html = await page.text();
    expect(html.length).toBeLessThan(50_000);
    expect(page.headers.get("etag")).toMatch(/^W\/"[0-9a-f]{16}"$/);
    const again = await fetch(url, {
      headers: { accept: "text/html", "if-none-match": page.headers.get("etag") as string },
    });
    expect(again.status).toBe(304);
    const assets = [...html.matchAll(/(?:src|href)="(\/graphiql\/[^"]+)"/g)].map((m) => m[1] as string);
    expect(assets.length).toBeGreaterThanOrEqual(4);
    for (const asset of assets) {
      const response = await fetch(new URL(asset, url), { headers: { "accept-encoding": "gzip" } });
      expect(response.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
      expect(response.headers.get("content-encoding")).toBe("gzip");
      expect(asset).toMatch(/\.[0-9a-f]{16}\.\w+$/);
      await response.arrayBuffer();
    }
  });

  it("first load <= 2.5 MB on the wire, reload <= 50 KB, and an operation runs", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    // After a reload GraphiQL restores its tabs and opens an empty one: the run button says it is up.
    const ready = async () => {
      await page.locator(".graphiql-execute-button").waitFor({ timeout: 30_000 });
      // GraphiQL's introspection and Monaco's workers load after the editor shows.
      await serverIdle();
    };
    resetWritten();
    await page.goto(url);
    await ready();
    const firstLoad = written();
    resetWritten();
    await page.reload();
    await ready();
    const reload = written();
    console.log(
      `GraphiQL on the wire: first load ${firstLoad.toLocaleString("en")} bytes, reload ${reload.toLocaleString("en")} bytes`,
    );
    expect(firstLoad).toBeLessThanOrEqual(2.5 * MB);
    expect(reload).toBeLessThanOrEqual(50_000);
    const operation = `query OneHit { hits(first: 1) { edges { node { hitId title } } } }`;
    await page.goto(`${url}?query=${encodeURIComponent(operation)}`);
    await page.locator(".graphiql-execute-button").click({ timeout: 30_000 });
    const shown = async () => ((await page.locator(".result-window").textContent()) ?? "").replace(/\s+/g, " ");
    await expect.poll(shown, { timeout: 30_000 }).toContain(`"title": "${(await firstListedHit()).Title}"`);
    await context.close();
  });
});

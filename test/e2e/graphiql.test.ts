import { existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateQualificationTypeCommand } from "@aws-sdk/client-mturk";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../support/stack.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
let stack: Stack;
let server: Server;
let browser: Browser;
let url: string;

beforeAll(async () => {
  // Not skipped when missing: `npm run test:e2e` needs Debian's chromium, which .ci/run installs.
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: apt-get install chromium`);
  stack = await startStack({ size: "demo", seed: 1, env: { SUBSCRIPTION_POLL_MS: "300" } });
  server = createServer(stack.yoga);
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
    page.on("requestfailed", (request) => failed.push(request.url()));
    await page.goto(url);
    await page.getByText("query PendingRequestsByType").first().waitFor({ timeout: 30_000 });
    const operation = `query OneHit { hits(first: 1) { edges { node { hitId title reward { formatted } } } } }`;
    await page.goto(`${url}?query=${encodeURIComponent(operation)}`);
    await page.locator(".graphiql-execute-button").click({ timeout: 30_000 });
    const result = page.locator(".result-window");
    // Monaco wraps long lines: compare with white space folded.
    const shown = async () => ((await result.textContent()) ?? "").replace(/\s+/g, " ");
    await expect.poll(shown, { timeout: 30_000 }).toContain('"title": "Location and Photograph Identification"');
    expect(await shown()).toContain('"formatted": "$0.25"');
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
  });
});

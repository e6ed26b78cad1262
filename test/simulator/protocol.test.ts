import { readdirSync, readFileSync } from "node:fs";
import * as sdk from "@aws-sdk/client-mturk";
import {
  CreateQualificationTypeCommand,
  GetAccountBalanceCommand,
  ListBonusPaymentsCommand,
  ListHITsCommand,
  ListQualificationRequestsCommand,
  ListQualificationTypesCommand,
  MTurkClient,
  SendBonusCommand,
} from "@aws-sdk/client-mturk";
import { Hash } from "@smithy/hash-node";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { operations } from "../../src/simulator/operations/index.js";
import { Simulator } from "../../src/simulator/server.js";
import { rejection, type SdkPair, startSdkPair } from "../support/sdk.js";

let pair: SdkPair;

/** A request signed like the SDK signs one, for targets the SDK cannot send. */
async function signedPost(target: string, body: string) {
  const url = new URL(pair.simulator.url);
  const signer = new SignatureV4({
    credentials: pair.simulator.credentials,
    region: "us-east-1",
    service: "mturk-requester",
    sha256: Hash.bind(null, "sha256"),
  });
  const signed = await signer.sign(
    new HttpRequest({
      method: "POST",
      protocol: "http:",
      hostname: url.hostname,
      port: Number(url.port),
      path: "/",
      headers: { host: url.host, "x-amz-target": target, "content-type": "application/x-amz-json-1.1" },
      body,
    }),
  );
  return fetch(pair.simulator.url, { method: "POST", headers: signed.headers, body });
}
beforeAll(async () => {
  pair = await startSdkPair("tiny");
});
afterAll(() => pair.close());

const sdkOperations = Object.keys(sdk)
  .filter((name) => name.endsWith("Command") && name !== "$Command")
  .map((name) => name.replace(/Command$/, ""));

describe("the protocol", () => {
  it("serves all 39 operations of the SDK, and the contract tests call each of them", () => {
    expect(sdkOperations).toHaveLength(39);
    expect(Object.keys(operations).sort()).toEqual([...sdkOperations].sort());
    const tests = readdirSync(new URL(".", import.meta.url))
      .filter((f) => f.endsWith(".test.ts"))
      .map((f) => readFileSync(new URL(f, import.meta.url), "utf8"))
      .join("\n");
    const untested = sdkOperations.filter((op) => !tests.includes(`new ${op}Command(`));
    expect(untested).toEqual([]);
  });

  it("speaks JSON 1.1: target header, content type, epoch-second timestamps, error body", async () => {
    const post = (target: string, body: string, headers: Record<string, string> = {}) =>
      fetch(pair.simulator.url, {
        method: "POST",
        headers: { "x-amz-target": target, "content-type": "application/x-amz-json-1.1", ...headers },
        body,
      });
    const unsigned = await post("MTurkRequesterServiceV20170117.GetAccountBalance", "{}");
    expect(unsigned.status).toBe(400);
    expect(await unsigned.json()).toEqual({
      __type: "MissingAuthenticationTokenException",
      message: "Missing Authentication Token",
    });
    const hits = await pair.client.send(new ListHITsCommand({ MaxResults: 1 }));
    expect(hits.HITs?.[0]?.CreationTime).toBeInstanceOf(Date);
    const raw = pair.simulator.instrumentation.calls.at(-1);
    expect(raw?.operation).toBe("ListHITs");
  });

  it("rejects requests without a valid SigV4 signature, as AWS does", async () => {
    const make = (credentials: { accessKeyId: string; secretAccessKey: string }, region = "us-east-1") =>
      new MTurkClient({ region, endpoint: pair.simulator.url, credentials, maxAttempts: 1 });
    const wrongKey = await rejection(
      make({ accessKeyId: "AKIDOTHER", secretAccessKey: "x" }).send(new GetAccountBalanceCommand({})),
    );
    expect(wrongKey.name).toBe("UnrecognizedClientException");
    const wrongSecret = await rejection(
      make({ ...pair.simulator.credentials, secretAccessKey: "wrong" }).send(new GetAccountBalanceCommand({})),
    );
    expect(wrongSecret.name).toBe("InvalidSignatureException");
    const wrongRegion = await rejection(
      make(pair.simulator.credentials, "us-west-1").send(new GetAccountBalanceCommand({})),
    );
    expect(wrongRegion.message).toContain("Credential should be scoped to a valid region");
    // A body changed after signing no longer matches the signature.
    const tampering = make(pair.simulator.credentials);
    tampering.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { body: Uint8Array | string };
        const text = typeof request.body === "string" ? request.body : new TextDecoder().decode(request.body);
        request.body = text.replace('"MaxResults":1', '"MaxResults":2');
        return next(args);
      },
      // The deserialize step runs after signing, just before the request is sent.
      { step: "deserialize", priority: "low" },
    );
    const tampered = await rejection(tampering.send(new ListHITsCommand({ MaxResults: 1 })));
    expect(tampered.name).toBe("InvalidSignatureException");
  });

  it("uses fixed, documented default credentials and accepts configured ones", async () => {
    const custom = await new Simulator({
      credentials: { accessKeyId: "AKIDCUSTOM", secretAccessKey: "s3cr3t" },
      size: "empty",
    }).listen();
    try {
      const client = new MTurkClient({
        region: "us-east-1",
        endpoint: custom.url,
        credentials: custom.credentials,
        maxAttempts: 1,
      });
      expect((await client.send(new GetAccountBalanceCommand({}))).AvailableBalance).toBe("10000.00");
      const defaults = new MTurkClient({
        region: "us-east-1",
        endpoint: custom.url,
        credentials: pair.simulator.credentials,
        maxAttempts: 1,
      });
      expect((await rejection(defaults.send(new GetAccountBalanceCommand({})))).name).toBe(
        "UnrecognizedClientException",
      );
    } finally {
      await custom.close();
    }
    expect(pair.simulator.credentials.accessKeyId).toBe("AKIDSIMULATOR0000000");
  });

  it("answers unknown operations and malformed bodies without crashing", async () => {
    const unknown = await signedPost("MTurkRequesterServiceV20170117.DisposeHIT", "{}");
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { __type: string }).__type).toBe("UnknownOperationException");
    const notJson = await fetch(pair.simulator.url, { method: "POST", body: "{" });
    expect(notJson.status).toBe(400);
    // A member of the wrong JSON type is refused before the operation, as AWS's front door does.
    const wrongType = await rejection(pair.client.send(new ListHITsCommand({ MaxResults: "ten" as never })));
    expect(wrongType).toMatchObject({ name: "ValidationException", $fault: "client" });
    expect(wrongType.message).toContain("MaxResults");
    const nested = await rejection(
      pair.client.send(new ListBonusPaymentsCommand({ HITId: 7 as never, MaxResults: 10 })),
    );
    expect(nested.name).toBe("ValidationException");
  });
});

describe("paging", () => {
  it("NumResults counts the page; a forged, foreign or altered token is a RequestError", async () => {
    const page = await pair.client.send(new ListQualificationRequestsCommand({ MaxResults: 4 }));
    expect(page.NumResults).toBe(4);
    expect(page.NextToken).toBeDefined();
    const token = page.NextToken as string;
    const forged = await rejection(
      pair.client.send(new ListQualificationRequestsCommand({ NextToken: "eyJvIjoiTGlzdCJ9" })),
    );
    expect(forged).toMatchObject({ name: "RequestError", TurkErrorCode: "AWS.MechanicalTurk.InvalidParameterValue" });
    const altered = await rejection(
      pair.client.send(
        new ListQualificationRequestsCommand({
          NextToken: `${token.slice(0, -2)}${token.endsWith("A") ? "BB" : "AA"}`,
        }),
      ),
    );
    expect(altered.name).toBe("RequestError");
    const otherOperation = await rejection(pair.client.send(new ListHITsCommand({ NextToken: token })));
    expect(otherOperation.message).toContain("different request");
    const other = await startSdkPair("tiny");
    try {
      const foreign = await rejection(other.client.send(new ListQualificationRequestsCommand({ NextToken: token })));
      expect(foreign.name).toBe("RequestError");
    } finally {
      await other.close();
    }
  });

  it("a NextToken stays within 255 characters for a 200-character Query over several pages, in every paging mode", async () => {
    const query = `${"q".repeat(190)}longsearch`;
    expect(query).toHaveLength(200);
    const made: string[] = [];
    for (let i = 0; i < 7; i += 1) {
      const type = await pair.client.send(
        new CreateQualificationTypeCommand({
          Name: `Long query ${i}`,
          Description: `Matches ${query} (${i})`,
          QualificationTypeStatus: "Active",
        }),
      );
      made.push(type.QualificationType?.QualificationTypeId as string);
    }
    for (const paging of ["keyset", "offset", "page"]) {
      await pair.control("PUT", "switches", { paging });
      const seen: string[] = [];
      let NextToken: string | undefined;
      let pages = 0;
      do {
        const page = await pair.client.send(
          new ListQualificationTypesCommand({ Query: query, MustBeRequestable: false, MaxResults: 2, NextToken }),
        );
        seen.push(...(page.QualificationTypes ?? []).map((t) => t.QualificationTypeId as string));
        NextToken = page.NextToken;
        if (NextToken) expect(NextToken.length, paging).toBeLessThanOrEqual(255);
        pages += 1;
      } while (NextToken);
      // 2, 2, 2, 1, then the empty page the last page's token leads to (tokenOnLastPage, the default).
      expect(pages).toBe(5);
      expect(seen, paging).toEqual(made);
    }
    await pair.control("PUT", "switches", { paging: "keyset" });
  });

  it("MaxResults is limited to 1..100", async () => {
    for (const MaxResults of [0, 101]) {
      const error = await rejection(pair.client.send(new ListHITsCommand({ MaxResults })));
      expect(error.name).toBe("ParameterValidationError");
    }
  });
});

describe("faults, latency and the call log", () => {
  it("injects throttling (the SDK retries it), ServiceFault, and a drop after the operation was applied", async () => {
    const retrying = new MTurkClient({
      region: "us-east-1",
      endpoint: pair.simulator.url,
      credentials: pair.simulator.credentials,
      maxAttempts: 3,
    });
    await pair.control("DELETE", "calls");
    await pair.control("POST", "faults/next", { operation: "ListHITs", count: 2, fault: "ThrottlingException" });
    await retrying.send(new ListHITsCommand({ MaxResults: 1 }));
    const log = await pair.control<{ operation: string; outcome: string }[]>("GET", "calls");
    expect(log.map((c) => c.outcome)).toEqual(["ThrottlingException", "ThrottlingException", "ok"]);
    expect(await pair.control("GET", "counters")).toEqual({ ListHITs: 3 });

    await pair.control("POST", "faults/next", { operation: "GetAccountBalance", count: 1, fault: "ServiceFault" });
    const fault = await rejection(pair.client.send(new GetAccountBalanceCommand({})));
    expect(fault).toMatchObject({ name: "ServiceFault", TurkErrorCode: "AWS.MechanicalTurk.ServiceFault" });
    expect(fault.$metadata?.httpStatusCode).toBe(500);

    const fixtures = await pair.control<{ assignmentIdsByStatus: Record<string, string[]> }>("GET", "fixtures");
    const assignmentId = fixtures.assignmentIdsByStatus.Approved?.[0] as string;
    const { Assignment } = await pair.client.send(new sdk.GetAssignmentCommand({ AssignmentId: assignmentId }));
    await pair.control("POST", "faults/next", { operation: "SendBonus", count: 1, fault: "dropAfterApply" });
    const bonus = {
      WorkerId: Assignment?.WorkerId,
      AssignmentId: assignmentId,
      BonusAmount: "0.10",
      Reason: "r",
      UniqueRequestToken: "drop-1",
    };
    const dropped = await rejection(pair.client.send(new SendBonusCommand(bonus)));
    expect(dropped.name).not.toBe("RequestError");
    const retry = await rejection(pair.client.send(new SendBonusCommand(bonus)));
    expect(retry.TurkErrorCode).toBe("AWS.MechanicalTurk.DuplicateRequest");
    retrying.destroy();
  });

  it("adds fixed latency plus jitter", async () => {
    await pair.control("PUT", "latency", { fixedMs: 40, jitterMs: 10 });
    const started = performance.now();
    await pair.client.send(new GetAccountBalanceCommand({}));
    expect(performance.now() - started).toBeGreaterThanOrEqual(39);
    await pair.control("PUT", "latency", { fixedMs: 0, jitterMs: 0 });
  });
});

import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { SnsRefusal, SnsVerifier } from "../../src/live/sns.js";

describe("SNS certificate fetches", () => {
  it("forged messages naming ever new certificate URLs cost one outbound fetch, not one each", async () => {
    let fetches = 0;
    const origin = createServer((_request, response) => {
      fetches += 1;
      response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => origin.listen(0, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
    try {
      const verifier = new SnsVerifier({ origins: [base] });
      const forged = (i: number) => ({
        Type: "Notification",
        Message: "{}",
        MessageId: `m-${i}`,
        Timestamp: new Date().toISOString(),
        TopicArn: "arn:aws:sns:us-east-1:123456789012:any",
        SignatureVersion: "2",
        Signature: "AAAA",
        SigningCertURL: `${base}/SimpleNotificationService-${i}.pem`,
      });
      for (let i = 0; i < 10; i += 1) await expect(verifier.verify(forged(i))).rejects.toBeInstanceOf(SnsRefusal);
      expect(fetches).toBe(1);
    } finally {
      origin.close();
    }
  });
});

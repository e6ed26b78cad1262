import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type Stack, startStack } from "../support/stack.js";

/** Every Upstream the gateway builds: one per request that needs MTurk, none for one that does not. */
const built = vi.hoisted(() => ({ upstreams: 0 }));
vi.mock("../../src/mturk/client.js", async (importOriginal) => {
  const original = await importOriginal<typeof import("../../src/mturk/client.js")>();
  class CountedUpstream extends original.Upstream {
    constructor(...args: ConstructorParameters<typeof original.Upstream>) {
      super(...args);
      built.upstreams += 1;
    }
  }
  return { ...original, Upstream: CountedUpstream };
});

describe("the request context", () => {
  let stack: Stack;
  let hitId: string;
  beforeAll(async () => {
    stack = await startStack();
    hitId = (await stack.control<{ hitIds: string[] }>("GET", "fixtures")).hitIds[0] as string;
  });
  afterAll(() => stack.close());

  it("builds the upstream machinery (limiter, loaders, writes) only for a request that calls MTurk", async () => {
    built.upstreams = 0;
    const idOnly = await stack.query(`{ hit(hitId: "${hitId}") { hitId } __typename }`);
    expect(idOnly.errors).toBeUndefined();
    expect(built.upstreams).toBe(0);
    const title = await stack.query(`{ hit(hitId: "${hitId}") { title } }`);
    expect(title.errors).toBeUndefined();
    expect(built.upstreams).toBe(1);
  });
});

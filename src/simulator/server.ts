import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { type Credentials, DEFAULT_CREDENTIALS, verifySignature } from "./auth.js";
import { handleControl } from "./control.js";
import {
  SimulatorError,
  serializationError,
  serviceFault,
  throttling,
  unknownOperation,
  validationException,
} from "./errors.js";
import { Instrumentation } from "./instrumentation.js";
import { SNS_PREFIX, SnsDelivery } from "./notifications.js";
import { operations } from "./operations/index.js";
import { type SeedSize, seedStore } from "./seed.js";
import { Store } from "./store.js";
import { resolveSwitches, type SimulatorSwitches } from "./switches.js";
import { validateInput } from "./validate.js";

const TARGET_PREFIX = "MTurkRequesterServiceV20170117.";
const CONTROL_PREFIX = "/_simulator/";

export interface SimulatorOptions {
  port?: number;
  host?: string;
  seed?: number;
  size?: SeedSize;
  credentials?: Credentials;
  latency?: { fixedMs: number; jitterMs: number };
  /** The unknowns of MTurk's behaviour (see switches.ts); unset ones take their defaults. */
  switches?: Partial<SimulatorSwitches>;
  /** Where MTurk's notifications with Transport SNS are delivered, as an SNS topic's HTTP subscription would. */
  snsEndpoint?: string;
}

/** A running simulator: an MTurk requester endpoint on loopback plus its /_simulator/ control routes. */
export class Simulator {
  store: Store;
  readonly instrumentation = new Instrumentation();
  readonly credentials: Credentials;
  /** One object for the simulator's life: resets keep it, PUT /_simulator/switches changes it in place. */
  readonly switches: SimulatorSwitches;
  seed: number;
  size: SeedSize;
  url = "";
  private server?: Server;
  /** MTurk's notifications over SNS (see notifications.ts). */
  readonly notifications = new SnsDelivery(this);

  constructor(private readonly options: SimulatorOptions = {}) {
    this.credentials = options.credentials ?? DEFAULT_CREDENTIALS;
    this.switches = resolveSwitches(options.switches);
    this.seed = options.seed ?? 1;
    this.size = options.size ?? "demo";
    this.store = this.freshStore(this.seed, this.size);
    if (options.latency) this.instrumentation.latency = { ...options.latency };
    this.notifications.endpoint = options.snsEndpoint;
  }

  private freshStore(seed: number, size: SeedSize): Store {
    const store = new Store(seed, this.switches);
    seedStore(store, size);
    return store;
  }

  /** Changes some switches at run time; returns the full set. */
  setSwitches(patch: unknown): SimulatorSwitches {
    return Object.assign(this.switches, resolveSwitches(patch, this.switches));
  }

  /** Replaces the whole account with a freshly seeded one; the switches stay. */
  reset(seed = this.seed, size = this.size): void {
    this.seed = seed;
    this.size = size;
    this.store = this.freshStore(seed, size);
    this.instrumentation.resetCalls();
    this.instrumentation.clearFaults();
  }

  async listen(): Promise<this> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) =>
      server.listen(this.options.port ?? 0, this.options.host ?? "127.0.0.1", resolve),
    );
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : 0;
    this.url = `http://${this.options.host ?? "127.0.0.1"}:${port}`;
    this.server = server;
    return this;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Uint8Array[] = [];
    for await (const chunk of req) if (chunk instanceof Uint8Array) chunks.push(chunk);
    const body = Buffer.concat(chunks).toString("utf8");
    const path = req.url ?? "/";
    if (path.startsWith(SNS_PREFIX)) {
      const answer = await this.notifications.handle(req.method ?? "GET", path, body);
      res.writeHead(answer.status, { "content-type": answer.type }).end(answer.body);
      return;
    }
    if (path.startsWith(CONTROL_PREFIX)) {
      const answer = handleControl(this, req.method ?? "GET", path, body);
      this.notifications.afterControl(req.method ?? "GET", path, answer);
      res.writeHead(answer.status, { "content-type": "application/json" }).end(JSON.stringify(answer.body));
      return;
    }
    await this.handleApi(req, res, path, body);
  }

  private async handleApi(req: IncomingMessage, res: ServerResponse, path: string, body: string): Promise<void> {
    const target = String(req.headers["x-amz-target"] ?? "");
    const operation = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : target || "(none)";
    const start = performance.now();
    const requestId = randomUUID();
    let input: unknown;
    const finish = (status: number, payload: string, outcome: string) => {
      this.instrumentation.record({ operation, input, start, end: performance.now(), outcome });
      const headers: Record<string, string> = {
        "content-type": "application/x-amz-json-1.1",
        "x-amzn-requestid": requestId,
      };
      if (status !== 200) headers["x-amzn-errortype"] = outcome;
      res.writeHead(status, headers).end(payload);
    };
    const drop = (outcome: string) => {
      this.instrumentation.record({ operation, input, start, end: performance.now(), outcome });
      req.socket.destroy();
    };
    // The simulated latency is the whole service time: the work is done first and the answer waits out the rest,
    // so the simulator's own CPU time overlaps the latency instead of adding to it.
    const latency = this.instrumentation.delayMs();
    let respond: () => void;
    try {
      if (req.method !== "POST" || path.split("?")[0] !== "/")
        throw new SimulatorError("UnknownOperationException", "Only POST / is served.", 404);
      await verifySignature(this.credentials, {
        method: req.method,
        path: "/",
        host: String(req.headers.host ?? ""),
        headers: req.headers,
        body,
      });
      const handler = operations[operation];
      if (!handler) throw unknownOperation(target);
      try {
        input = body.length ? JSON.parse(body) : {};
      } catch {
        throw serializationError("The request body is not valid JSON.");
      }
      const fault = this.instrumentation.faultFor(operation);
      if (fault === "ThrottlingException") throw throttling();
      if (fault === "ServiceFault") throw serviceFault();
      if (fault === "ValidationException") throw validationException("a constraint checked before the operation");
      if (fault === "drop") {
        respond = () => drop("drop");
      } else {
        const valid = validateInput(handler.members, input);
        this.store.tick();
        const result = handler.handle(this.store, valid, { baseUrl: this.url });
        this.notifications.afterOperation(operation, valid);
        // The dangerous case for retries: the operation took effect, but the caller never hears so.
        const text = JSON.stringify(result);
        respond = fault === "dropAfterApply" ? () => drop("dropAfterApply") : () => finish(200, text, "ok");
      }
    } catch (error) {
      const known = error instanceof SimulatorError ? error : serviceFault();
      const text = JSON.stringify(known.body());
      respond = () => finish(known.httpStatus, text, known.turkErrorCode ?? known.type);
    }
    const remaining = latency - (performance.now() - start);
    if (remaining > 0) await sleep(remaining);
    respond();
  }
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  return new Simulator(options).listen();
}

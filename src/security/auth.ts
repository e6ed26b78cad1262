import { createHash, createPublicKey, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { createInlineSigningKeyProvider, useJWT } from "@graphql-yoga/plugin-jwt";
import { createGraphQLError, type Plugin } from "graphql-yoga";
import { z } from "zod";

/** What a caller may do: `read` queries; `write` mutations that spend nothing; `pay` mutations that spend money. */
export const SCOPES = ["read", "write", "pay"] as const;
type Scope = (typeof SCOPES)[number];

export interface Principal {
  name: string;
  scopes: ReadonlySet<Scope>;
  via: "api-key" | "jwt" | "none";
  /** Its share of MTurk's rate budget against other callers (src/mturk/scheduler.ts); unset: the default. */
  weight?: number;
}

/** With authentication off (the embedded simulator's default) every request may do everything. */
export const UNRESTRICTED: Principal = { name: "anonymous (authentication off)", scopes: new Set(SCOPES), via: "none" };

export const apiKeySchema = z.array(
  z.object({
    name: z.string().min(1),
    /** SHA-256 of the key, hex: keys are never stored in clear. */
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    scopes: z.array(z.enum(SCOPES)).min(1),
    /** Its share of MTurk's rate budget while other callers queue too (default UPSTREAM_DEFAULT_WEIGHT). */
    weight: z.number().positive().max(1000).optional(),
  }),
);
export type ApiKeyEntry = z.infer<typeof apiKeySchema>[number];

export const hashApiKey = (key: string) => createHash("sha256").update(key, "utf8").digest("hex");

export interface AuthConfig {
  apiKeys: ApiKeyEntry[];
  jwt?: { secret?: string; jwksFile?: string; issuer?: string; audience?: string; maxAgeSeconds?: number };
}

export const authEnabled = (auth: AuthConfig) => auth.apiKeys.length > 0 || !!auth.jwt;

/** A JWKS file: its keys as JWKs (their members are checked by createPublicKey). */
const JWKS = z.object({ keys: z.array(z.object({ kid: z.string().optional() }).catchall(z.unknown())) });

/** Signing keys from a JWKS file, by kid, as PEM public keys the JWT plugin can verify with. */
function jwksProvider(file: string) {
  const { keys } = JWKS.parse(JSON.parse(readFileSync(file, "utf8")));
  const pems = new Map(
    keys.map((jwk) => [
      jwk.kid,
      createPublicKey({ key: jwk, format: "jwk" }).export({ type: "spki", format: "pem" }).toString(),
    ]),
  );
  return (kid?: string) => {
    const pem = pems.get(kid) ?? (pems.size === 1 ? [...pems.values()][0] : undefined);
    if (!pem)
      throw createGraphQLError("Unknown JWT key id.", {
        extensions: { code: "UNAUTHENTICATED", http: { status: 401 } },
      });
    return pem;
  };
}

const unauthenticated = (message: string) =>
  createGraphQLError(message, {
    extensions: {
      code: "UNAUTHENTICATED",
      http: { status: 401, headers: { "WWW-Authenticate": 'ApiKey realm="mturk-graphql-gateway", Bearer' } },
    },
  });

/**
 * Principals already authenticated for a request by the gateway's own pipeline: the subscription transports that
 * bypass yoga's request parsing (src/live/whoami.ts) set them. Only server code can.
 */
export const preauthenticated = new WeakMap<Request, Principal>();

/** Finds the API key entry for a presented key (constant-time compare of hashes). */
export function principalForApiKey(keys: ApiKeyEntry[], presented: string): Principal | undefined {
  const hash = Buffer.from(hashApiKey(presented), "hex");
  const entry = keys.find((k) => timingSafeEqual(Buffer.from(k.sha256, "hex"), hash));
  return entry && { name: entry.name, scopes: new Set(entry.scopes), via: "api-key", weight: entry.weight };
}

const apiKeyOf = (headers: Headers) => {
  const direct = headers.get("x-api-key");
  if (direct) return direct;
  const authorization = headers.get("authorization") ?? "";
  return authorization.startsWith("ApiKey ") ? authorization.slice(7) : undefined;
};

function scopesOfJwt(payload: Record<string, unknown>): Set<Scope> {
  const raw = payload.scopes ?? payload.scope ?? [];
  const list = Array.isArray(raw) ? raw : String(raw).split(" ");
  return new Set(list.filter((s): s is Scope => SCOPES.some((scope) => scope === String(s))));
}

/**
 * Authentication for every GraphQL request: an API key (`x-api-key` or `Authorization: ApiKey …`) or a JWT bearer
 * token (yoga's JWT plugin: shared secret or JWKS file). A request with neither, or with a bad one, is 401.
 * The principal goes into the context, where Pothos scope-auth checks it on every field.
 */
export function useAuthentication(auth: AuthConfig): Plugin<{ principal: Principal }>[] {
  if (!authEnabled(auth))
    return [{ onContextBuilding: ({ extendContext }) => extendContext({ principal: UNRESTRICTED }) }];
  const plugins: Plugin<{ principal: Principal }>[] = [];
  if (auth.jwt) {
    const { jwksFile, secret = "" } = auth.jwt;
    const provider = jwksFile ? jwksProvider(jwksFile) : createInlineSigningKeyProvider(secret);
    plugins.push(
      useJWT({
        signingKeyProviders: [provider],
        // Only "Bearer …" is a token: "ApiKey …" in the same header is left to the API key check.
        tokenLookupLocations: [
          ({ request }) => {
            const header = request.headers.get("authorization") ?? "";
            return header.startsWith("Bearer ") ? { token: header.slice(7), prefix: "Bearer" } : undefined;
          },
        ],
        tokenVerification: {
          algorithms: auth.jwt.jwksFile ? ["RS256", "ES256"] : ["HS256"],
          issuer: auth.jwt.issuer,
          audience: auth.jwt.audience,
          // A token older than this (from its iat) is refused even before its exp.
          maxAge: auth.jwt.maxAgeSeconds,
        },
        reject: { missingToken: false, invalidToken: true },
        extendContext: "jwt",
      }) as Plugin<{ principal: Principal }>,
    );
  }
  // Before the document is parsed or validated: a caller without a credential learns nothing about the schema.
  const principals = new WeakMap<Request, Principal>();
  plugins.push({
    onRequestParse: ({ request, serverContext }) => {
      const jwt = (serverContext as { jwt?: { payload: Record<string, unknown> } }).jwt;
      if (jwt) {
        if (typeof jwt.payload.exp !== "number") throw unauthenticated("The bearer token has no expiry (exp).");
        principals.set(request, {
          name: String(jwt.payload.sub ?? "jwt"),
          scopes: scopesOfJwt(jwt.payload),
          via: "jwt",
        });
        return;
      }
      const key = apiKeyOf(request.headers);
      if (!key) throw unauthenticated("Authentication required: send an API key (x-api-key) or a bearer token.");
      const principal = principalForApiKey(auth.apiKeys, key);
      if (!principal) throw unauthenticated("The API key is not valid.");
      principals.set(request, principal);
    },
    onContextBuilding: ({ context, extendContext }) => {
      const request = context.request;
      const principal = principals.get(request) ?? preauthenticated.get(request);
      if (!principal) throw unauthenticated("Authentication required.");
      extendContext({ principal });
    },
  });
  return plugins;
}

/** Whether a request to a non-GraphQL endpoint (/metrics) carries a valid API key. */
export function hasValidApiKey(auth: AuthConfig, request: Request): boolean {
  if (!authEnabled(auth)) return true;
  const key = apiKeyOf(request.headers);
  return !!key && !!principalForApiKey(auth.apiKeys, key);
}

import type { SyncProgress } from "../mirror/sync.js";
import { builder } from "./builder.js";
import { dateTimeField, readable } from "./common.js";

/** The mirror's state, for a user watching the first sync and for dashboards. */

interface UnitShape {
  unit: string;
  syncedAt: Date | null;
}
interface MirrorStatusShape {
  database: string;
  available: boolean;
  unavailableReason: string | null;
  phase: SyncProgress["phase"];
  done: number;
  total: number;
  percent: number;
  lastPassAt: Date | null;
  lastError: string | null;
  maxAgeMs: number;
  units: UnitShape[];
}

const MirrorPhaseEnum = builder.enumType("MirrorPhase", {
  description: "What the mirror's background sync is doing.",
  values: {
    STARTING: { value: "starting", description: "The gateway has just started; the first pass has not begun." },
    FIRST_SYNC: {
      value: "first sync",
      description: "The first full sync: ListHITs, then every HIT's assignments and bonuses, requests, types, blocks.",
    },
    REFRESHING: {
      value: "refreshing",
      description: "An incremental pass: HITs whose counters changed are read again.",
    },
    IDLE: { value: "idle", description: "Between passes (MIRROR_SYNC_INTERVAL_MS)." },
    OFF: { value: "off", description: "No background sync (MIRROR_SYNC_INTERVAL_MS=0): reads refresh what they need." },
  },
});

const MirrorUnitRef = builder.objectRef<UnitShape>("MirrorUnit").implement({
  description:
    "One part of the account the mirror reads whole from MTurk: hits (ListHITs), work (every HIT's ListAssignmentsForHIT and ListBonusPayments), requests (ListQualificationRequests), types (ListQualificationTypes), blocks (ListWorkerBlocks).",
  fields: (t) => ({
    unit: t.exposeString("unit", { nullable: false, description: "The unit's name." }),
    syncedAt: dateTimeField(t, "syncedAt", "When its last complete read from MTurk began; null before the first."),
  }),
});

const MirrorStatusRef = builder.objectRef<MirrorStatusShape>("MirrorStatus").implement({
  ...readable,
  description:
    "The gateway's durable mirror of the MTurk account (SQLite in DATA_DIR, or PostgreSQL at DATABASE_URL) and its sync.",
  fields: (t) => ({
    database: t.exposeString("database", { nullable: false, description: "sqlite or postgres." }),
    available: t.exposeBoolean("available", {
      nullable: false,
      description: "Whether the database answers; while it does not, lists are read from MTurk and money waits.",
    }),
    unavailableReason: t.exposeString("unavailableReason", { description: "Why the database is not used now." }),
    phase: t.expose("phase", { type: MirrorPhaseEnum, nullable: false, description: "The sync's phase." }),
    done: t.exposeInt("done", { nullable: false, description: "HITs whose work this pass has read." }),
    total: t.exposeInt("total", { nullable: false, description: "HITs whose work this pass reads." }),
    percent: t.exposeInt("percent", { nullable: false, description: "done / total, 0 to 100." }),
    lastPassAt: dateTimeField(t, "lastPassAt", "When the last complete pass ended."),
    lastError: t.exposeString("lastError", {
      description: "Why the last pass could not read a unit, if it could not.",
    }),
    maxAgeMs: t.exposeInt("maxAgeMs", {
      nullable: false,
      description: "MIRROR_MAX_AGE_MS: an older unit is refreshed before a read answers from it.",
    }),
    units: t.expose("units", {
      type: [MirrorUnitRef],
      nullable: false,
      description: "The account's units and when each was last read whole.",
    }),
  }),
});

builder.queryFields((t) => ({
  mirror: t.field({
    type: MirrorStatusRef,
    nullable: false,
    description:
      "The state of the gateway's mirror of the account: its database, the first sync's progress, when each part was last read from MTurk. Costs no MTurk call.",
    complexity: 0,
    resolve: async (_root, _args, ctx) => ctx.mirror.status(),
  }),
}));

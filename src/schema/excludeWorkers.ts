import { z } from "zod";
import type { GatewayContext } from "../context.js";
import { isNotFound } from "../mturk/errors.js";
import { idOf } from "../mturk/ids.js";
import { MTURK_MAX_RESULTS, scanAll } from "../mturk/pagination.js";
import { builder } from "./builder.js";
import { bulkPayload, runBulk } from "./bulk.js";
import { idInput } from "./common.js";
import { bulkCost, workListingCost } from "./cost.js";
import { InputInvalid } from "./inputInvalid.js";
import { defineMutation } from "./mutation.js";
import { mturkId } from "./validators.js";
import { workerChangeFields } from "./worker.js";

/**
 * "No one who did my earlier study": grant a qualification to every worker who worked on some HITs or HIT types,
 * then require it with DoesNotExist on the new HITs. Granting twice is harmless (MTurk updates the value).
 */

const GrantToWorkersOfInput = builder.inputType("GrantQualificationToWorkersOfInput", {
  description:
    "A qualification to grant (AssociateQualificationWithWorker) to every worker with a submitted, approved or rejected assignment (ListAssignmentsForHIT) on these HITs or on the HITs of these HIT types (ListHITs).",
  fields: (t) => ({
    qualificationTypeId: idInput(t, "Your type's id."),
    hitIds: t.stringList({ description: "These HITs (HITId).", validate: z.array(mturkId).max(1000) }),
    hitTypeIds: t.stringList({
      description: "Every HIT of these HIT types (HITTypeId).",
      validate: z.array(mturkId).max(100),
    }),
    integerValue: t.int({ defaultValue: 1, description: "The value granted (IntegerValue); default 1." }),
    sendNotification: t.boolean({ defaultValue: false, description: "Tell each worker by e-mail (SendNotification)." }),
  }),
});

type Input = {
  qualificationTypeId: string;
  hitIds?: string[] | null;
  hitTypeIds?: string[] | null;
  integerValue?: number | null;
  sendNotification?: boolean | null;
};

const GrantedRef = builder
  .objectRef<{ workerId: string; qualificationTypeId: string }>("QualificationGrant")
  .implement({
    description: "A worker granted the qualification (AssociateQualificationWithWorker).",
    fields: (t) => workerChangeFields(t, "The worker's Qualification of the type now (GetQualificationScore)."),
  });

/**
 * The workers of the HITs, read fresh from MTurk (a study's last submissions count too), and from the mirror for
 * HITs MTurk no longer knows (disposed of after 120 days): an earlier study stays excluded after MTurk forgot it.
 */
async function workersOf(ctx: GatewayContext, input: Input): Promise<string[]> {
  if (!input.hitIds?.length && !input.hitTypeIds?.length)
    throw new InputInvalid("Give hitIds, hitTypeIds or both.", "input.hitIds");
  const hitIds = new Set(input.hitIds ?? []);
  if (input.hitTypeIds?.length) {
    // The mirror's HITs of these types, disposed ones too.
    const known = (await ctx.mirror.hitsOfTypes(input.hitTypeIds, ctx.waiter)).value;
    if (known.length > ctx.maxPageSize)
      throw new InputInvalid(
        `These HIT types have more than ${ctx.maxPageSize} HITs: name the HITs instead.`,
        "input.hitTypeIds",
      );
    for (const id of known) hitIds.add(id);
  }
  let calls = 0;
  const budget = workListingCost(ctx);
  const workers = new Set<string>();
  const forgotten: string[] = [];
  await Promise.all(
    [...hitIds].map(async (hitId) => {
      const { items } = await scanAll((token) => {
        calls += 1;
        if (calls > budget)
          throw new InputInvalid(`Listing these HITs' work needs more than ${budget} MTurk calls.`, "input");
        return ctx.loaders.listAssignmentsForHITPage(hitId, undefined, token, MTURK_MAX_RESULTS);
      }).catch((error) => {
        if (!isNotFound(error)) throw error;
        forgotten.push(hitId);
        return { items: [] };
      });
      for (const a of items) workers.add(idOf(a, "WorkerId"));
    }),
  );
  for (const workerId of await ctx.mirror.workersOf(forgotten)) workers.add(workerId);
  return [...workers].sort();
}

const payload = bulkPayload("GrantQualificationToWorkersOf", "a grant to the workers of HITs", "workerId", GrantedRef);

defineMutation("grantQualificationToWorkersOf", {
  description:
    "Grants a qualification (AssociateQualificationWithWorker, one per worker) to every worker who worked on the given HITs or HIT types (ListHITs, ListAssignmentsForHIT): with a DoesNotExist requirement, nobody from an earlier study takes the new one. Idempotent: a worker granted before is granted again, harmlessly.",
  scopes: { write: true },
  input: GrantToWorkersOfInput,
  inputDescription: "The qualification and the HITs or HIT types.",
  payload,
  // The listing of the HITs' work (from the mirror), then one write per worker.
  complexity: (_input, ctx) => {
    const writes = bulkCost(ctx.limits.maxBulkItems, ctx);
    return { ...writes, field: writes.field + workListingCost(ctx) + ctx.limits.scanCost };
  },
  resolve: async (input, ctx) => {
    const workers = await workersOf(ctx, input);
    if (workers.length > ctx.limits.maxBulkItems)
      throw new InputInvalid(
        `${workers.length} workers worked on these HITs; one call grants at most ${ctx.limits.maxBulkItems} (MAX_BULK_ITEMS): name fewer HITs.`,
        "input",
      );
    return runBulk(
      workers,
      (w) => w,
      async (workerId) => {
        await ctx.writes.associateQualification(
          input.qualificationTypeId,
          workerId,
          input.integerValue ?? 1,
          input.sendNotification ?? false,
        );
        return { workerId, qualificationTypeId: input.qualificationTypeId };
      },
      // The workers come from MTurk's listings: who worked on the HITs is a read.
      true,
    );
  },
});

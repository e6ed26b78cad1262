import { builder } from "./builder.js";
import "./common.js";
import "./qualificationType.js";
import "./qualificationRequest.js";
import "./worker.js";
import "./hit.js";
import "./assignment.js";
import "./account.js";
import "./errors.js";
import "./qualificationRequestMutations.js";
import "./workerMutations.js";
import "./qualificationTypeMutations.js";
import "./hitMutations.js";
import "./assignmentMutations.js";
import "./subscriptions.js";

export const schema = builder.toSchema({ sortSchema: true });

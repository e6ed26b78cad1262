import { builder, completeSchema } from "./builder.js";
import "./common.js";
import "./qualificationType.js";
import "./qualificationRequest.js";
import "./worker.js";
import "./hit.js";
import "./assignment.js";
import "./account.js";
import "./answers.js";
import "./workerHistory.js";
import "./excludeWorkers.js";
import "./errors.js";
import "./qualificationRequestMutations.js";
import "./workerMutations.js";
import "./qualificationTypeMutations.js";
import "./hitMutations.js";
import "./assignmentMutations.js";

export const schema = completeSchema(builder.toSchema({ sortSchema: true }));

import { accountOperations } from "./account.js";
import { assignmentOperations } from "./assignments.js";
import type { OperationTable } from "./common.js";
import { hitOperations } from "./hits.js";
import { qualificationOperations } from "./qualifications.js";

/** All 39 operations of MTurkRequesterServiceV20170117. */
export const operations: OperationTable = {
  ...hitOperations,
  ...assignmentOperations,
  ...qualificationOperations,
  ...accountOperations,
};

import { GetFileUploadURLCommand } from "@aws-sdk/client-mturk";
import type { Upstream } from "./client.js";

/**
 * GetFileUploadURL: a temporary URL (MTurk says 60 s) of the file a worker uploaded for a FileUploadAnswer. Never
 * cached: each read is a new URL. MTurk has marked the operation "pending deprecation" since 2017-12-12.
 */
export async function fileUploadUrl(upstream: Upstream, AssignmentId: string, QuestionIdentifier: string) {
  const answer = await upstream.call("GetFileUploadURL", (c) =>
    c.send(new GetFileUploadURLCommand({ AssignmentId, QuestionIdentifier })),
  );
  return answer.FileUploadURL ?? null;
}

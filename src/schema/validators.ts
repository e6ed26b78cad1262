import { z } from "zod";
import { canonicalAmount } from "../money/fees.js";

/** MTurk's input constraints (botocore's model plus the documented rules), checked before any upstream call. */
export const mturkId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Z0-9]+$/, "must be an MTurk id: 1 to 64 of A-Z, 0-9");
export const workerIdRule = z
  .string()
  .min(1)
  .max(64)
  .regex(/^A[A-Z0-9]+$/, "must be a WorkerId: A followed by A-Z, 0-9");
/** An amount in USD, passed on in its canonical form ("2" and "2.0" become "2.00": one key, one payment). */
export const moneyRule = z
  .string()
  .regex(/^[0-9]+(\.)?[0-9]{0,2}$/, "must be an amount in USD with at most 2 decimals")
  .transform(canonicalAmount);
export const positiveMoney = moneyRule.refine((v) => Number.parseFloat(v) > 0, "must be greater than 0");
export const idempotencyKeyRule = z.string().min(1).max(256);
export const xmlRule = z
  .string()
  .min(1)
  .refine((v) => Buffer.byteLength(v, "utf8") <= 65_535, "must be at most 65,535 bytes");
export const lifetimeRule = z.number().int().min(30).max(31_536_000);
export const feedbackRule = z.string().max(1024);

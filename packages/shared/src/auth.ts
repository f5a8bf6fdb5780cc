import { z } from "zod";
import { IdSchema } from "./common.ts";

/** Answer of `POST /api/auth/device`: a new anonymous user and its bearer token (also set as a cookie). */
export const DeviceAuthResponseSchema = z.object({
  userId: IdSchema,
  token: z.string().min(32),
});
export type DeviceAuthResponse = z.infer<typeof DeviceAuthResponseSchema>;

/**
 * Answer of `GET /api/auth/device`: the user the request's device token (cookie or bearer)
 * belongs to, or null without one the server knows — a question, so never a 401.
 */
export const DeviceStatusResponseSchema = z.object({ userId: IdSchema.nullable() });
export type DeviceStatusResponse = z.infer<typeof DeviceStatusResponseSchema>;

/** Answer of `POST /api/auth/cookie`: the cookie was set again for this user. */
export const RestoreCookieResponseSchema = z.object({ userId: IdSchema });

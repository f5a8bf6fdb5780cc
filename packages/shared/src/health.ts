import { z } from "zod";

export const HealthResponseSchema = z.object({
  status: z.enum(["ok", "degraded"]),
  version: z.string(),
  uptimeSeconds: z.number().nonnegative(),
  database: z.enum(["ok", "unreachable"]),
  sessions: z.object({
    active: z.number().int().nonnegative(),
    incomplete: z.number().int().nonnegative(),
    completed: z.number().int().nonnegative(),
  }),
});
export type HealthResponse = z.infer<typeof HealthResponseSchema>;

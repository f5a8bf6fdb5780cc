import path from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { RETENTION_HOURS, SESSION_TIMEOUT_MS, SWEEP_INTERVAL_MS } from "@tidemark/shared";
import { decodeEncryptionKey, ENCRYPTION_KEY_FORMAT } from "./lib/encryption-key.ts";

/** The built web app beside this package in the monorepo (`apps/web/dist`). */
const siblingWebDist = fileURLToPath(new URL("../../web/dist", import.meta.url));

/**
 * The one place configuration is read. Every setting has a default so `pnpm start` works on a
 * fresh machine; the environment overrides it.
 */
export const ConfigSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  HOST: z.string().min(1).default("127.0.0.1"),
  DATA_DIR: z.string().min(1).default("./data"),
  SESSION_TIMEOUT_MS: z.coerce.number().int().positive().default(SESSION_TIMEOUT_MS),
  SWEEP_INTERVAL_MS: z.coerce.number().int().positive().default(SWEEP_INTERVAL_MS),
  RETENTION_HOURS: z.coerce.number().positive().default(RETENTION_HOURS),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** Directory of the built SPA to serve from the same port; "none" serves the API only. */
  WEB_DIST_DIR: z.string().default(siblingWebDist),
  /** Whether the auth cookie is marked Secure (turn on behind HTTPS). */
  COOKIE_SECURE: z
    .enum(["true", "false"])
    .default("false")
    .transform((value) => value === "true"),
  /**
   * Key that encrypts preferences and checkpoints at rest: the base64 encoding of exactly 32
   * bytes (`openssl rand -base64 32`). Unset: a key is generated once into DATA_DIR/encryption.key.
   */
  ENCRYPTION_KEY: z
    .string()
    .optional()
    .transform((value, context) => {
      if (value === undefined) return undefined;
      const key = decodeEncryptionKey(value);
      if (!key) {
        context.addIssue({ code: "custom", message: ENCRYPTION_KEY_FORMAT });
        return z.NEVER;
      }
      return key;
    }),
});
export type Config = z.infer<typeof ConfigSchema>;

/** Reads the configuration from an environment (default `process.env`), failing loudly on bad values. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const known = Object.fromEntries(
    Object.keys(ConfigSchema.shape).flatMap((key) => {
      const value = env[key];
      return value === undefined || value === "" ? [] : [[key, value]];
    }),
  );
  const parsed = ConfigSchema.safeParse(known);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new Error(`Invalid configuration: ${problems.join("; ")}`);
  }
  return parsed.data;
}

/** The SQLite file lives inside the data directory. `:memory:` is used by tests. */
export function databaseFile(config: Pick<Config, "DATA_DIR">): string {
  return path.join(config.DATA_DIR, "tidemark.sqlite");
}

/** Where the generated encryption key is kept when ENCRYPTION_KEY is not set. */
export function encryptionKeyFile(config: Pick<Config, "DATA_DIR">): string {
  return path.join(config.DATA_DIR, "encryption.key");
}

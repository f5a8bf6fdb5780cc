import { createHash, randomBytes } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import type { DeviceAuthResponse } from "@tidemark/shared";
import type { Db } from "../db/client.ts";
import { authTokens, users } from "../db/schema.ts";
import type { Clock } from "../lib/clock.ts";
import { uuidv7 } from "@tidemark/shared";

/** Tokens are 256 random bits; only their SHA-256 is stored, so a leaked database grants nothing. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

export function generateToken(): string {
  return randomBytes(32).toString("base64url");
}

/** Tokens resolved recently; every authenticated request looks one up. */
const TOKEN_CACHE_LIMIT = 100_000;

/**
 * Anonymous device identities: one user per browser, recognised by its bearer token. A token
 * never changes owner, so resolved tokens are cached in memory (by the token itself, which
 * spares every request hashing it; only the database must never hold tokens); code that
 * deletes a user must `forgetUser`.
 */
export class IdentityService {
  private readonly findUser;
  /** User ids by token. */
  private readonly cache = new Map<string, string>();

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {
    // Runs on every authenticated request, so it is prepared once.
    this.findUser = db
      .select({ userId: authTokens.userId })
      .from(authTokens)
      .where(eq(authTokens.tokenHash, sql.placeholder("tokenHash")))
      .prepare();
  }

  createDevice(): DeviceAuthResponse {
    const now = this.clock.now().getTime();
    const userId = uuidv7(now);
    const token = generateToken();
    this.db.transaction((tx) => {
      tx.insert(users).values({ id: userId, createdAt: now }).run();
      tx.insert(authTokens).values({ tokenHash: hashToken(token), userId, createdAt: now }).run();
    });
    return { userId, token };
  }

  /** The user a token belongs to, or null when the token is unknown. */
  userForToken(token: string): string | null {
    const cached = this.cache.get(token);
    if (cached) return cached;
    const userId = this.findUser.get({ tokenHash: hashToken(token) })?.userId ?? null;
    if (userId) {
      this.cache.set(token, userId);
      if (this.cache.size > TOKEN_CACHE_LIMIT) this.cache.delete(this.cache.keys().next().value!);
    }
    return userId;
  }

  /**
   * Deletes a user and, by the foreign keys' cascades, everything that refers to them: device
   * tokens, sessions with their tracks, chunks, files, recovery tokens and checkpoints, and
   * preferences. Run inside a transaction; the user's files on disk are the caller's to remove.
   */
  deleteUser(userId: string): boolean {
    const deleted = this.db.delete(users).where(eq(users.id, userId)).run().changes > 0;
    this.forgetUser(userId);
    return deleted;
  }

  /** Drops a deleted user's tokens from the cache. */
  forgetUser(userId: string): void {
    for (const [token, owner] of this.cache) if (owner === userId) this.cache.delete(token);
  }
}

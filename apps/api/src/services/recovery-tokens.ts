import { RECOVERY_TOKEN_TTL_HOURS, type RecoveryToken } from "@tidemark/shared";
import type { Clock } from "../lib/clock.ts";
import { gone, notFound } from "../lib/http-errors.ts";
import type { RecordingRepository } from "../repositories/recording-repository.ts";
import { generateToken, hashToken } from "./identity.ts";

export const recoveryAudioUrl = (token: string) => `/api/recovery/audio/${token}`;

/**
 * Recovery tokens: a download link for one finalized file, owned by one user, valid 24 h.
 * Like device tokens they are random and stored only as a hash.
 */
export class RecoveryTokens {
  constructor(
    private readonly repository: RecordingRepository,
    private readonly clock: Clock,
  ) {}

  /** Makes a token; call inside a transaction when it belongs with other writes. */
  create(userId: string, sessionId: string, track: number): RecoveryToken {
    const now = this.clock.now().getTime();
    const token = generateToken();
    const expiresAt = now + RECOVERY_TOKEN_TTL_HOURS * 3_600_000;
    this.repository.insertToken({ tokenHash: hashToken(token), userId, sessionId, track, createdAt: now, expiresAt });
    return { token, track, url: recoveryAudioUrl(token), expiresAt: new Date(expiresAt).toISOString() };
  }

  /** The file a token opens: 404 when unknown or another user's, 410 once expired. */
  resolve(userId: string, token: string): { sessionId: string; track: number } {
    const row = this.repository.findToken(hashToken(token));
    if (!row || row.userId !== userId) throw notFound("Recovery token not found");
    if (row.expiresAt <= this.clock.now().getTime()) throw gone("Recovery token has expired");
    return { sessionId: row.sessionId, track: row.track };
  }
}

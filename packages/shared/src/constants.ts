/** Timings and limits both sides agree on. The server's values are configurable; these are the defaults. */

/** How often a working client sends `POST /api/session/:id/keepalive`. */
export const KEEPALIVE_INTERVAL_MS = 7_000;

/** An active session without a keepalive for this long becomes `incomplete`. */
export const SESSION_TIMEOUT_MS = 30_000;

/** How often the server looks for overdue sessions by itself. */
export const SWEEP_INTERVAL_MS = 5_000;

/** Sessions, files and recovery tokens untouched for this long are removed by the retention job. */
export const RETENTION_HOURS = 24;

/** Longest session title, in characters. */
export const TITLE_MAX_LENGTH = 200;

/** Largest JSON body any route accepts, in bytes. */
export const JSON_BODY_LIMIT_BYTES = 64 * 1024;

/** How many events the server keeps for replay to reconnecting clients. */
export const EVENT_LOG_LIMIT = 10_000;

/** Name of the HttpOnly cookie that carries the device token. */
export const AUTH_COOKIE_NAME = "tidemark_token";

/** Recovery tokens (download links for finalized audio) expire after this long. */
export const RECOVERY_TOKEN_TTL_HOURS = 24;

/** Largest `PUT /api/preferences` body, in bytes. */
export const PREFERENCES_MAX_BYTES = 64 * 1024;

/** Largest `PUT /api/session/:id/checkpoint` body, in bytes (about 100 long chapters of text). */
export const CHECKPOINT_MAX_BYTES = 4 * 1024 * 1024;

/** How often a client pushes the checkpoint of the work it has open, besides on change. */
export const CHECKPOINT_INTERVAL_MS = 30_000;

/** Voice presets a user can keep. */
export const SAVED_VOICES_MAX = 50;

/** Chapters in one synthesis draft. */
export const CHAPTERS_MAX = 500;

/** Longest chapter text, in characters. */
export const CHAPTER_TEXT_MAX_LENGTH = 200_000;

/** Recent sessions kept in the browser's persisted state. */
export const RECENT_SESSIONS_PERSISTED = 10;

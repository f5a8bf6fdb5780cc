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

/**
 * Largest `PUT /api/session/:id/checkpoint` body, in bytes: room for the largest checkpoint the
 * schema accepts, written in the most bytes JSON can take. A character takes at most 6 bytes (a
 * control character is written `\u0001`), so `DRAFT_TEXT_MAX_LENGTH` characters of text with
 * `CHAPTERS_MAX` titles and ids come to 15.9 MB at worst (2.5 MB as plain text), under this
 * limit. The limit is what one request may make the server hold in memory several times over
 * (the body, its parse, the sealed copy), which is why the draft limits below are sized to it
 * rather than the other way round.
 */
export const CHECKPOINT_MAX_BYTES = 16 * 1024 * 1024;

/** How often a client pushes the checkpoint of the work it has open, besides on change. */
export const CHECKPOINT_INTERVAL_MS = 30_000;

/** Voice presets a user can keep. */
export const SAVED_VOICES_MAX = 50;

/** Chapters in one synthesis draft. */
export const CHAPTERS_MAX = 500;

/** Longest chapter text, in characters (some 30 000 words: a very long chapter). */
export const CHAPTER_TEXT_MAX_LENGTH = 200_000;

/**
 * Text of all chapters of one draft together, in characters: about 400 000 words, some 50 hours
 * of speech, a long book. With it every valid draft fits `CHECKPOINT_MAX_BYTES`.
 */
export const DRAFT_TEXT_MAX_LENGTH = 2_500_000;

/** Recent sessions kept in the browser's persisted state. */
export const RECENT_SESSIONS_PERSISTED = 10;

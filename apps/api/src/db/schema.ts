import { blob, index, integer, primaryKey, real, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** Times are stored as milliseconds since the epoch (UTC) and cross the wire as ISO strings. */

export const users = sqliteTable("users", {
  id: text("id").primaryKey(),
  createdAt: integer("created_at").notNull(),
});

/** Device tokens are stored as SHA-256 hashes only; the token itself is shown once. */
export const authTokens = sqliteTable(
  "auth_tokens",
  {
    tokenHash: text("token_hash").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: integer("created_at").notNull(),
  },
  (table) => [index("auth_tokens_user_idx").on(table.userId)],
);

export const sessions = sqliteTable(
  "sessions",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    kind: text("kind", { enum: ["recording", "synthesis"] }).notNull(),
    title: text("title").notNull(),
    status: text("status", { enum: ["active", "incomplete", "completed"] }).notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    lastHeartbeat: integer("last_heartbeat"),
    completedAt: integer("completed_at"),
  },
  (table) => [
    index("sessions_user_created_idx").on(table.userId, table.createdAt),
    index("sessions_status_heartbeat_idx").on(table.status, table.lastHeartbeat),
    index("sessions_updated_idx").on(table.updatedAt),
  ],
);

/**
 * A declared track (0 or 1) of a recording session, with counters kept in the same transaction
 * as each chunk so a track's position is one row read.
 */
export const tracks = sqliteTable(
  "tracks",
  {
    sessionId: text("session_id")
      .notNull()
      .references(() => sessions.id, { onDelete: "cascade" }),
    track: integer("track").notNull(),
    label: text("label").notNull(),
    sampleRate: integer("sample_rate").notNull(),
    channels: integer("channels").notNull(),
    chunkCount: integer("chunk_count").notNull().default(0),
    bytes: integer("bytes").notNull().default(0),
    highestSeq: integer("highest_seq").notNull().default(-1),
    /** The last seq with every seq before it stored (-1: none). */
    committedThrough: integer("committed_through").notNull().default(-1),
    createdAt: integer("created_at").notNull(),
  },
  (table) => [primaryKey({ columns: [table.sessionId, table.track] })],
);

/** One row per durable chunk; written only after its bytes are fsynced. */
export const chunks = sqliteTable(
  "chunks",
  {
    sessionId: text("session_id")
      .notNull()
      .references(() => sessions.id, { onDelete: "cascade" }),
    track: integer("track").notNull(),
    seq: integer("seq").notNull(),
    size: integer("size").notNull(),
    /** Where the bytes start in the track's append-only chunk log. */
    offset: integer("offset").notNull().default(0),
    /** SHA-256 of the bytes, hex. */
    sha256: text("sha256").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (table) => [primaryKey({ columns: [table.sessionId, table.track, table.seq] })],
);

/** A finalized WAV file of one track. */
export const sessionFiles = sqliteTable(
  "session_files",
  {
    sessionId: text("session_id")
      .notNull()
      .references(() => sessions.id, { onDelete: "cascade" }),
    track: integer("track").notNull(),
    sizeBytes: integer("size_bytes").notNull(),
    sha256: text("sha256").notNull(),
    durationSeconds: real("duration_seconds").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (table) => [primaryKey({ columns: [table.sessionId, table.track] })],
);

/** Recovery tokens give access to one finalized file for a limited time (24 h). */
export const recoveryTokens = sqliteTable(
  "recovery_tokens",
  {
    tokenHash: text("token_hash").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    sessionId: text("session_id")
      .notNull()
      .references(() => sessions.id, { onDelete: "cascade" }),
    track: integer("track").notNull().default(0),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
  },
  (table) => [
    index("recovery_tokens_session_idx").on(table.sessionId),
    index("recovery_tokens_expires_idx").on(table.expiresAt),
  ],
);

/**
 * The bounded event log behind `/api/ws`. AUTOINCREMENT makes ids monotonic and never reused,
 * even after the newest rows are deleted, so `?after=<id>` stays meaningful across restarts.
 */
export const events = sqliteTable(
  "events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    userId: text("user_id").notNull(),
    type: text("type").notNull(),
    payload: text("payload").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (table) => [index("events_user_id_idx").on(table.userId, table.id)],
);

/**
 * Columns of a value stored only encrypted (AES-256-GCM): `ciphertext`, its 96-bit `iv` and
 * 128-bit `auth_tag`. `version` counts accepted writes (optimistic concurrency).
 */
const sealedDocumentColumns = () => ({
  version: integer("version").notNull(),
  ciphertext: blob("ciphertext", { mode: "buffer" }).notNull(),
  iv: blob("iv", { mode: "buffer" }).notNull(),
  authTag: blob("auth_tag", { mode: "buffer" }).notNull(),
  updatedAt: integer("updated_at").notNull(),
});

/** A user's preferences, the server copy. */
export const userPreferences = sqliteTable("user_preferences", {
  userId: text("user_id")
    .primaryKey()
    .references(() => users.id, { onDelete: "cascade" }),
  ...sealedDocumentColumns(),
});

/** The open work of a session (text, voice, position); deleted with its session. */
export const sessionCheckpoints = sqliteTable("session_checkpoints", {
  sessionId: text("session_id")
    .primaryKey()
    .references(() => sessions.id, { onDelete: "cascade" }),
  ...sealedDocumentColumns(),
});

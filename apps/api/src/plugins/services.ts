import { EVENT_LOG_LIMIT } from "@tidemark/shared";
import fp from "fastify-plugin";
import type { Config } from "../config.ts";
import type { Clock } from "../lib/clock.ts";
import { SessionRepository } from "../repositories/session-repository.ts";
import { EventLog } from "../services/event-log.ts";
import { IdentityService } from "../services/identity.ts";
import { RetentionJob } from "../services/retention.ts";
import { AudioStore } from "../services/audio-store.ts";
import { SessionLifecycle } from "../services/session-lifecycle.ts";
import { HeartbeatBuffer } from "../services/heartbeat-buffer.ts";
import { GroupCommit } from "../lib/group-commit.ts";
import { RecordingRepository } from "../repositories/recording-repository.ts";
import { RecordingService } from "../services/recording.ts";
import { RecoveryTokens } from "../services/recovery-tokens.ts";
import { SessionFinisher } from "../services/session-finisher.ts";
import { encryptionKeyFile } from "../config.ts";
import { loadOrCreateKeyFile } from "../lib/encryption-key.ts";
import { BackupRepository } from "../repositories/backup-repository.ts";
import { AccountDeletion } from "../services/account-deletion.ts";
import { BackupService } from "../services/backups.ts";
import { ValueCipher } from "../services/encryption.ts";

declare module "fastify" {
  interface FastifyInstance {
    eventLog: EventLog;
    heartbeats: HeartbeatBuffer;
    audioStore: AudioStore;
    recordingRepository: RecordingRepository;
    recording: RecordingService;
    recoveryTokens: RecoveryTokens;
    finisher: SessionFinisher;
    identity: IdentityService;
    sessions: SessionLifecycle;
    sessionRepository: SessionRepository;
    retention: RetentionJob;
    backups: BackupService;
    accountDeletion: AccountDeletion;
  }
}

export interface ServicesOptions {
  config: Config;
  clock: Clock;
  /** The key for values at rest; by default ENCRYPTION_KEY, else the key file in DATA_DIR. */
  encryptionKey?: Buffer;
}

/** Builds the repositories and services once and decorates the instance with them. */
export default fp<ServicesOptions>(
  async function services(fastify, { config, clock, encryptionKey }) {
    const eventLog = new EventLog(fastify.db, clock, EVENT_LOG_LIMIT);
    const sessionRepository = new SessionRepository(fastify.db);
    const audioStore = new AudioStore(config.DATA_DIR);
    const recordingRepository = new RecordingRepository(fastify.db);
    const heartbeats = new HeartbeatBuffer(fastify.db, sessionRepository);
    const lifecycle = new SessionLifecycle(sessionRepository, eventLog, heartbeats, clock, config.SESSION_TIMEOUT_MS);
    fastify.decorate("heartbeats", heartbeats);
    const recording = new RecordingService(
      recordingRepository,
      lifecycle,
      eventLog,
      audioStore,
      clock,
      new GroupCommit(fastify.db.$client),
      config.RETENTION_HOURS,
    );
    const recoveryTokens = new RecoveryTokens(recordingRepository, clock);
    fastify.decorate("eventLog", eventLog);
    fastify.decorate("sessionRepository", sessionRepository);
    fastify.decorate("recordingRepository", recordingRepository);
    fastify.decorate("audioStore", audioStore);
    fastify.decorate("identity", new IdentityService(fastify.db, clock));
    fastify.decorate("sessions", lifecycle);
    fastify.decorate("recording", recording);
    fastify.decorate("recoveryTokens", recoveryTokens);
    fastify.decorate(
      "finisher",
      new SessionFinisher(recording, recordingRepository, lifecycle, eventLog, audioStore, recoveryTokens, clock),
    );
    fastify.decorate(
      "retention",
      new RetentionJob(sessionRepository, recordingRepository, lifecycle, heartbeats, eventLog, audioStore, clock, config.RETENTION_HOURS),
    );
    const backupRepository = new BackupRepository(fastify.db);
    const key =
      encryptionKey ??
      config.ENCRYPTION_KEY ??
      (await loadOrCreateKeyFile(encryptionKeyFile(config), () => backupRepository.holdsDocuments()));
    fastify.decorate(
      "backups",
      new BackupService(backupRepository, lifecycle, eventLog, new ValueCipher(key), clock, fastify.log),
    );
    fastify.decorate(
      "accountDeletion",
      new AccountDeletion(sessionRepository, lifecycle, fastify.identity, eventLog, audioStore),
    );
  },
  { name: "services", dependencies: ["database"] },
);

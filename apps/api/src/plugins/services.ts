import { EVENT_LOG_LIMIT } from "@tidemark/shared";
import fp from "fastify-plugin";
import type { Config } from "../config.ts";
import type { Clock } from "../lib/clock.ts";
import { SessionRepository } from "../repositories/session-repository.ts";
import { EventLog } from "../services/event-log.ts";
import { IdentityService } from "../services/identity.ts";
import { RetentionJob } from "../services/retention.ts";
import { SessionFiles } from "../services/session-files.ts";
import { SessionLifecycle } from "../services/session-lifecycle.ts";

declare module "fastify" {
  interface FastifyInstance {
    eventLog: EventLog;
    identity: IdentityService;
    sessions: SessionLifecycle;
    sessionRepository: SessionRepository;
    retention: RetentionJob;
  }
}

export interface ServicesOptions {
  config: Config;
  clock: Clock;
}

/** Builds the repositories and services once and decorates the instance with them. */
export default fp<ServicesOptions>(
  async function services(fastify, { config, clock }) {
    const eventLog = new EventLog(fastify.db, clock, EVENT_LOG_LIMIT);
    const sessionRepository = new SessionRepository(fastify.db);
    const files = new SessionFiles(config.DATA_DIR);
    fastify.decorate("eventLog", eventLog);
    fastify.decorate("sessionRepository", sessionRepository);
    fastify.decorate("identity", new IdentityService(fastify.db, clock));
    fastify.decorate(
      "sessions",
      new SessionLifecycle(sessionRepository, eventLog, clock, config.SESSION_TIMEOUT_MS),
    );
    fastify.decorate(
      "retention",
      new RetentionJob(fastify.db, sessionRepository, eventLog, files, clock, config.RETENTION_HOURS),
    );
  },
  { name: "services", dependencies: ["database"] },
);

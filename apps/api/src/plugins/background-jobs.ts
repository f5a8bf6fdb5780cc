import fp from "fastify-plugin";
import cron, { type ScheduledTask } from "node-cron";
import type { Config } from "../config.ts";

/** Buffered keepalives reach the database at least this often. */
const HEARTBEAT_FLUSH_MS = 1_000;
/** The retention job's schedule: every 10 minutes. */
const RETENTION_SCHEDULE = "*/10 * * * *";

/**
 * Work the server does without being asked: writing buffered heartbeats, marking overdue
 * sessions incomplete, trimming the event log, and the retention job. Everything starts when
 * the server is ready — with an immediate sweep, so sessions that went quiet while the server
 * was down are marked at once — and stops on close.
 */
export default fp<{ config: Config }>(
  async function backgroundJobs(fastify, { config }) {
    const timers: NodeJS.Timeout[] = [];
    let retentionTask: ScheduledTask | undefined;
    let retentionRunning: Promise<unknown> | undefined;
    let flushing: Promise<unknown> | undefined;

    const sweep = () => {
      try {
        const timedOut = fastify.sessions.markTimedOutSessions();
        if (timedOut > 0) fastify.log.info({ timedOut }, "marked overdue sessions incomplete");
        fastify.eventLog.prune();
      } catch (error) {
        fastify.log.error({ err: error }, "session sweep failed");
      }
    };

    const runRetention = async () => {
      if (retentionRunning) return; // a slow run is never overlapped by the next one
      retentionRunning = fastify.retention
        .run()
        .then((removed) => fastify.log.info({ removed }, "retention job finished"))
        .catch((error: unknown) => fastify.log.error({ err: error }, "retention job failed"))
        .finally(() => {
          retentionRunning = undefined;
        });
      await retentionRunning;
    };

    fastify.addHook("onReady", async () => {
      sweep();
      timers.push(setInterval(sweep, config.SWEEP_INTERVAL_MS));
      timers.push(
        setInterval(() => {
          if (flushing) return;
          flushing = fastify.heartbeats
            .flush()
            .catch((error: unknown) => fastify.log.error({ err: error }, "heartbeat flush failed"))
            .finally(() => {
              flushing = undefined;
            });
        }, HEARTBEAT_FLUSH_MS),
      );
      retentionTask = cron.schedule(RETENTION_SCHEDULE, runRetention, { name: "retention" });
    });

    fastify.addHook("onClose", async () => {
      for (const timer of timers) clearInterval(timer);
      await retentionTask?.destroy();
      await retentionRunning;
      // Heartbeats received since the last flush are written before the database closes.
      await flushing;
      fastify.heartbeats.flushNow();
    });
  },
  { name: "background-jobs", dependencies: ["services"] },
);

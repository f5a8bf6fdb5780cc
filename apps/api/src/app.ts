import { readFileSync } from "node:fs";
import websocket from "@fastify/websocket";
import fp from "fastify-plugin";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyServerOptions } from "fastify";
import { JSON_BODY_LIMIT_BYTES } from "@tidemark/shared";
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from "fastify-type-provider-zod";
import { databaseFile, type Config } from "./config.ts";
import { systemClock, type Clock } from "./lib/clock.ts";
import auth from "./plugins/auth.ts";
import backgroundJobs from "./plugins/background-jobs.ts";
import database from "./plugins/database.ts";
import docs from "./plugins/docs.ts";
import errorHandler from "./plugins/error-handler.ts";
import services from "./plugins/services.ts";
import web from "./plugins/web.ts";
import authRoutes from "./routes/auth.ts";
import eventRoutes from "./routes/events.ts";
import healthRoutes from "./routes/health.ts";
import recordingRoutes from "./routes/recording.ts";
import backupRoutes from "./routes/backups.ts";
import recoveryRoutes from "./routes/recovery.ts";
import sessionRoutes from "./routes/sessions.ts";

export interface AppOptions {
  config: Config;
  /** Defaults to the system clock; tests move time with their own. */
  clock?: Clock;
  /** Defaults to the SQLite file in DATA_DIR; tests pass `:memory:`. */
  databaseFile?: string;
  /** Defaults to ENCRYPTION_KEY or the key file in DATA_DIR; tests pass a key and touch no disk. */
  encryptionKey?: Buffer;
}

const packageJson = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
  version: string;
};
export const version = packageJson.version;

/** The whole API as one plugin: infrastructure, services, background jobs, routes, docs and the SPA. */
async function app(fastify: FastifyInstance, options: AppOptions): Promise<void> {
  const { config } = options;
  const clock = options.clock ?? systemClock;

  await fastify.register(errorHandler);
  await fastify.register(database, { file: options.databaseFile ?? databaseFile(config) });
  await fastify.register(services, { config, clock, encryptionKey: options.encryptionKey });
  await fastify.register(auth);
  await fastify.register(backgroundJobs, { config });
  await fastify.register(docs, { version });
  await fastify.register(websocket, { options: { maxPayload: 64 * 1024 } });

  await fastify.register(healthRoutes, { version });
  await fastify.register(authRoutes, { secureCookie: config.COOKIE_SECURE });
  await fastify.register(sessionRoutes);
  await fastify.register(recordingRoutes);
  await fastify.register(recoveryRoutes);
  await fastify.register(backupRoutes);
  await fastify.register(eventRoutes);
  await fastify.register(web, { root: config.WEB_DIST_DIR });
}

const tidemark = fp(app, { name: "tidemark" });
export default tidemark;

/** Server options shared by the real server and the tests. */
export function serverOptions(config: Config): FastifyServerOptions {
  return {
    logger: config.LOG_LEVEL === "silent" ? false : { level: config.LOG_LEVEL },
    bodyLimit: JSON_BODY_LIMIT_BYTES,
    // Shutdown should not wait on idle keep-alive sockets.
    forceCloseConnections: true,
    // Errors raised before routing (a URL the router rejects, a malformed content type) get
    // the same `{ message }` shape as everything else.
    frameworkErrors: (error, _request, reply) => {
      (reply as FastifyReply).status(error.statusCode ?? 400).send({ message: error.message });
    },
  };
}

/** A ready-to-listen Fastify instance with the zod type provider and the app registered. */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const fastify = Fastify(serverOptions(options.config)).withTypeProvider<ZodTypeProvider>();
  fastify.setValidatorCompiler(validatorCompiler);
  fastify.setSerializerCompiler(serializerCompiler);
  await fastify.register(tidemark, options);
  return fastify;
}

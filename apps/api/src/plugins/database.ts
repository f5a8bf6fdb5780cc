import fp from "fastify-plugin";
import { closeDatabase, openDatabase, type Db } from "../db/client.ts";

declare module "fastify" {
  interface FastifyInstance {
    db: Db;
  }
}

/** Opens and migrates the database at start; closes it (checkpointing the WAL) on shutdown. */
export default fp<{ file: string }>(
  async function database(fastify, options) {
    const db = openDatabase(options.file);
    fastify.decorate("db", db);
    fastify.addHook("onClose", async () => {
      await closeDatabase(db);
    });
  },
  { name: "database" },
);

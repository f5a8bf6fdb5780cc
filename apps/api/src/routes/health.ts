import { HealthResponseSchema } from "@tidemark/shared";
import { sql } from "drizzle-orm";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";

const healthRoutes: FastifyPluginAsyncZod<{ version: string }> = async (fastify, { version }) => {
  fastify.get(
    "/api/health",
    {
      config: { public: true },
      schema: { tags: ["health"], summary: "Liveness, database reachability and session counts", response: { 200: HealthResponseSchema, 503: HealthResponseSchema } },
    },
    async (_request, reply) => {
      const uptimeSeconds = Math.round(process.uptime());
      try {
        fastify.db.get(sql`SELECT 1`);
        const sessions = fastify.sessionRepository.countByStatus();
        return { status: "ok" as const, version, uptimeSeconds, database: "ok" as const, sessions };
      } catch (error) {
        fastify.log.error({ err: error }, "health check: database unreachable");
        return reply.status(503).send({
          status: "degraded",
          version,
          uptimeSeconds,
          database: "unreachable",
          sessions: { active: 0, incomplete: 0, completed: 0 },
        });
      }
    },
  );
};

export default healthRoutes;

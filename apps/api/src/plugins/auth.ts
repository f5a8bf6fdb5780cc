import cookie from "@fastify/cookie";
import { AUTH_COOKIE_NAME } from "@tidemark/shared";
import type { FastifyRequest } from "fastify";
import fp from "fastify-plugin";

declare module "fastify" {
  interface FastifyRequest {
    /** The authenticated user; set for every `/api` route except the public ones. */
    userId: string;
  }
  interface FastifyContextConfig {
    /** Routes that answer without a device token. */
    public?: boolean;
  }
}

/** The device token a request presents: `Authorization: Bearer`, else the cookie. */
export function deviceTokenOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header?.startsWith("Bearer ")) return header.slice("Bearer ".length).trim();
  return request.cookies[AUTH_COOKIE_NAME];
}

/**
 * Every `/api` route needs the device token, from the cookie or `Authorization: Bearer`;
 * routes opt out with `config: { public: true }`. Non-API paths (the SPA, docs) are public.
 */
export default fp(
  async function auth(fastify) {
    await fastify.register(cookie);
    fastify.decorateRequest("userId", "");
    fastify.addHook("onRequest", async (request, reply) => {
      if (!request.url.startsWith("/api/") || request.routeOptions.config.public) return;
      if (!request.routeOptions.url) return; // unknown route: let the 404 handler answer
      const token = deviceTokenOf(request);
      const userId = token ? fastify.identity.userForToken(token) : null;
      if (!userId) {
        return reply.status(401).send({ message: "Missing or unknown device token; call POST /api/auth/device" });
      }
      request.userId = userId;
    });
  },
  { name: "auth", dependencies: ["services"] },
);

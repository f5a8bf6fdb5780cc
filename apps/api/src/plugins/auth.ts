import cookie from "@fastify/cookie";
import { AUTH_COOKIE_NAME } from "@tidemark/shared";
import type { FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import type { IdentityService } from "../services/identity.ts";

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

function tokenFrom(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header?.startsWith("Bearer ")) return header.slice("Bearer ".length).trim();
  return request.cookies[AUTH_COOKIE_NAME];
}

/** The user whose device token the request presents (`Authorization: Bearer`, else the cookie); null for none or an unknown one. */
export function deviceUserOf(request: FastifyRequest, identity: Pick<IdentityService, "userForToken">): string | null {
  const token = tokenFrom(request);
  return token ? identity.userForToken(token) : null;
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
      const userId = deviceUserOf(request, fastify.identity);
      if (!userId) {
        return reply.status(401).send({ message: "Missing or unknown device token; call POST /api/auth/device" });
      }
      request.userId = userId;
    });
  },
  { name: "auth", dependencies: ["services"] },
);

import { AUTH_COOKIE_NAME, DeviceAuthResponseSchema, ErrorResponseSchema } from "@tidemark/shared";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";

/** The cookie outlives any one session of work; the token inside it never expires on its own. */
const COOKIE_MAX_AGE_SECONDS = 400 * 24 * 3600;

const authRoutes: FastifyPluginAsyncZod<{ secureCookie: boolean }> = async (fastify, { secureCookie }) => {
  fastify.post(
    "/api/auth/device",
    {
      config: { public: true },
      schema: {
        tags: ["auth"],
        summary: "Create an anonymous device identity",
        response: { 201: DeviceAuthResponseSchema, 400: ErrorResponseSchema },
      },
    },
    async (_request, reply) => {
      const device = fastify.identity.createDevice();
      reply.setCookie(AUTH_COOKIE_NAME, device.token, {
        path: "/",
        httpOnly: true,
        sameSite: "lax",
        secure: secureCookie,
        maxAge: COOKIE_MAX_AGE_SECONDS,
      });
      return reply.status(201).send(device);
    },
  );
};

export default authRoutes;

import {
  AUTH_COOKIE_NAME,
  DeviceAuthResponseSchema,
  DeviceStatusResponseSchema,
  ErrorResponseSchema,
  RestoreCookieResponseSchema,
} from "@tidemark/shared";
import type { FastifyReply } from "fastify";
import { z } from "zod";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { badRequest } from "../lib/http-errors.ts";
import { deviceUserOf } from "../plugins/auth.ts";

/** The cookie outlives any one session of work; the token inside it never expires on its own. */
const COOKIE_MAX_AGE_SECONDS = 400 * 24 * 3600;

const authRoutes: FastifyPluginAsyncZod<{ secureCookie: boolean }> = async (fastify, { secureCookie }) => {
  const cookieOptions = { path: "/", httpOnly: true, sameSite: "lax", secure: secureCookie } as const;
  const setAuthCookie = (reply: FastifyReply, token: string) =>
    reply.setCookie(AUTH_COOKIE_NAME, token, { ...cookieOptions, maxAge: COOKIE_MAX_AGE_SECONDS });

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
      setAuthCookie(reply, device.token);
      return reply.status(201).send(device);
    },
  );

  // Asked before registering, so a first visit does not start with a refused request.
  fastify.get(
    "/api/auth/device",
    {
      config: { public: true },
      schema: {
        tags: ["auth"],
        summary: "Whose device token this request presents (cookie or bearer); userId null when none is known",
        response: { 200: DeviceStatusResponseSchema },
      },
    },
    async (request) => ({ userId: deviceUserOf(request, fastify.identity) }),
  );

  // Browsers write cookies to disk lazily; a client that kept its token durably (IndexedDB)
  // restores a cookie lost in a crash with this, presenting the token as a bearer.
  fastify.post(
    "/api/auth/cookie",
    {
      schema: {
        tags: ["auth"],
        summary: "Set the auth cookie again from a bearer token",
        response: { 200: RestoreCookieResponseSchema, 400: ErrorResponseSchema, 401: ErrorResponseSchema },
      },
    },
    async (request, reply) => {
      const token = request.headers.authorization?.slice("Bearer ".length).trim();
      if (!token) throw badRequest("Send the device token as Authorization: Bearer <token>");
      setAuthCookie(reply, token);
      return { userId: request.userId };
    },
  );

  fastify.delete(
    "/api/me",
    {
      schema: {
        tags: ["auth"],
        summary: "Delete all of the caller's data and the device identity; the token stops working",
        response: { 204: z.undefined().describe("Everything is deleted"), 401: ErrorResponseSchema },
      },
    },
    async (request, reply) => {
      await fastify.accountDeletion.deleteUser(request.userId);
      reply.clearCookie(AUTH_COOKIE_NAME, cookieOptions);
      return reply.status(204).send();
    },
  );
};

export default authRoutes;

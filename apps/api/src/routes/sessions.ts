import {
  CheckTimeoutsResponseSchema,
  CreateSessionBodySchema,
  ErrorResponseSchema,
  FinishBodySchema,
  FinishResponseSchema,
  KeepaliveResponseSchema,
  MissingChunksResponseSchema,
  SessionDetailSchema,
  SessionListSchema,
  SessionParamsSchema,
  SessionSchema,
} from "@tidemark/shared";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";

const errors = {
  400: ErrorResponseSchema,
  401: ErrorResponseSchema,
  404: ErrorResponseSchema,
};

const sessionRoutes: FastifyPluginAsyncZod = async (fastify) => {
  const tags = ["sessions"];

  fastify.post(
    "/api/sessions",
    {
      schema: {
        tags,
        summary: "Start a new session (active); with a client-made id, repeating it answers the same session (200)",
        body: CreateSessionBodySchema,
        response: { 200: SessionSchema, 201: SessionSchema, 409: ErrorResponseSchema, ...errors },
      },
    },
    async (request, reply) => {
      const { session, created } = fastify.sessions.create(request.userId, request.body);
      return reply.status(created ? 201 : 200).send(session);
    },
  );

  fastify.get(
    "/api/sessions",
    { schema: { tags, summary: "The caller's sessions, newest first", response: { 200: SessionListSchema, ...errors } } },
    async (request) => ({ sessions: fastify.sessions.list(request.userId) }),
  );

  fastify.post(
    "/api/session/check-timeouts",
    {
      schema: {
        tags,
        summary: "Mark overdue active sessions incomplete now",
        response: { 200: CheckTimeoutsResponseSchema, ...errors },
      },
    },
    async () => ({ timedOut: fastify.sessions.markTimedOutSessions() }),
  );

  fastify.get(
    "/api/session/:id",
    {
      schema: {
        tags,
        summary: "One session in detail",
        params: SessionParamsSchema,
        response: { 200: SessionDetailSchema, ...errors },
      },
    },
    async (request) => fastify.recording.detail(request.userId, request.params.id),
  );

  fastify.post(
    "/api/session/:id/keepalive",
    {
      schema: {
        tags,
        summary: "Heartbeat of a working client (every 7 s)",
        params: SessionParamsSchema,
        response: { 200: KeepaliveResponseSchema, ...errors },
      },
      // The hot path (one call every 7 s per working client): the answer is built by the
      // service from typed values, so it is stringified without being validated again.
      serializerCompiler: () => (data) => JSON.stringify(data),
    },
    async (request) => fastify.sessions.keepalive(request.userId, request.params.id),
  );

  fastify.post(
    "/api/session/:id/resume",
    {
      schema: {
        tags,
        summary: "incomplete → active",
        params: SessionParamsSchema,
        response: { 200: SessionSchema, 409: ErrorResponseSchema, ...errors },
      },
    },
    async (request) => fastify.sessions.resume(request.userId, request.params.id),
  );

  fastify.post(
    "/api/session/:id/finish",
    {
      schema: {
        tags,
        summary: "active or incomplete → completed; assembles each track into a WAV",
        params: SessionParamsSchema,
        body: FinishBodySchema,
        response: { 200: FinishResponseSchema, 409: MissingChunksResponseSchema.or(ErrorResponseSchema), ...errors },
      },
    },
    async (request) => fastify.finisher.finish(request.userId, request.params.id, request.body),
  );
};

export default sessionRoutes;

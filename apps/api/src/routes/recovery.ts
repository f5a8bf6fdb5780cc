import { CreateRecoveryTokenBodySchema, ErrorResponseSchema, RecoveryAudioParamsSchema, RecoveryTokenSchema } from "@tidemark/shared";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { sendFileWithRange } from "../lib/send-file-range.ts";

const recoveryRoutes: FastifyPluginAsyncZod = async (fastify) => {
  const tags = ["recovery"];

  fastify.post(
    "/api/recovery/token",
    {
      schema: {
        tags,
        summary: "A 24 h download link for a finalized file",
        body: CreateRecoveryTokenBodySchema,
        response: { 201: RecoveryTokenSchema, 400: ErrorResponseSchema, 401: ErrorResponseSchema, 404: ErrorResponseSchema },
      },
    },
    async (request, reply) => {
      const { sessionId, track } = request.body;
      fastify.recording.finalizedFile(request.userId, sessionId, track); // 404 unless the file is the caller's
      return reply.status(201).send(fastify.recoveryTokens.create(request.userId, sessionId, track));
    },
  );

  fastify.get(
    "/api/recovery/audio/:token",
    {
      schema: {
        tags,
        summary: "Download a file by recovery token (Range supported; 410 once expired)",
        params: RecoveryAudioParamsSchema,
        response: { 401: ErrorResponseSchema, 404: ErrorResponseSchema, 410: ErrorResponseSchema, 416: ErrorResponseSchema },
      },
    },
    async (request, reply) => {
      const { sessionId, track } = fastify.recoveryTokens.resolve(request.userId, request.params.token);
      return sendFileWithRange(request, reply, fastify.recording.finalizedFile(request.userId, sessionId, track));
    },
  );
};

export default recoveryRoutes;

import {
  CHUNK_MAX_BYTES,
  ChunkAckSchema,
  ChunkParamsSchema,
  ErrorResponseSchema,
  TrackDeclarationSchema,
  TrackParamsSchema,
  TrackSummarySchema,
} from "@tidemark/shared";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { sendFileWithRange } from "../lib/send-file-range.ts";

const errors = {
  400: ErrorResponseSchema,
  401: ErrorResponseSchema,
  404: ErrorResponseSchema,
  409: ErrorResponseSchema,
};

const recordingRoutes: FastifyPluginAsyncZod = async (fastify) => {
  const tags = ["recording"];

  // Chunks are raw 16-bit PCM. This parser is scoped to this plugin's routes.
  fastify.addContentTypeParser("application/octet-stream", { parseAs: "buffer", bodyLimit: CHUNK_MAX_BYTES }, (_request, body, done) =>
    done(null, body),
  );

  fastify.put(
    "/api/session/:id/tracks/:track",
    {
      schema: {
        tags,
        summary: "Declare a track (0 or 1) before its first chunk; idempotent",
        params: TrackParamsSchema,
        body: TrackDeclarationSchema,
        response: { 200: TrackSummarySchema, ...errors },
      },
    },
    async (request) => fastify.recording.declareTrack(request.userId, request.params.id, request.params.track, request.body),
  );

  fastify.put(
    "/api/session/:id/tracks/:track/chunks/:seq",
    {
      bodyLimit: CHUNK_MAX_BYTES,
      schema: {
        tags,
        summary: "Store one chunk of 16-bit PCM durably (Content-Digest: sha-256=:<base64>:)",
        params: ChunkParamsSchema,
        response: { 200: ChunkAckSchema, 201: ChunkAckSchema, 413: ErrorResponseSchema, 415: ErrorResponseSchema, ...errors },
      },
    },
    async (request, reply) => {
      const { id, track, seq } = request.params;
      if (!Buffer.isBuffer(request.body)) {
        return reply.status(415).send({ message: "Chunks must be sent as application/octet-stream" });
      }
      const digest = request.headers["content-digest"];
      const ack = await fastify.recording.putChunk(
        request.userId,
        id,
        track,
        seq,
        request.body,
        Array.isArray(digest) ? digest.join(",") : digest,
      );
      return reply.status(ack.created ? 201 : 200).send(ack);
    },
  );

  fastify.get(
    "/api/session/:id/tracks/:track/audio",
    {
      schema: {
        tags,
        summary: "The finalized WAV of a track (Range supported)",
        params: TrackParamsSchema,
        response: { 401: ErrorResponseSchema, 404: ErrorResponseSchema, 416: ErrorResponseSchema },
      },
    },
    async (request, reply) => {
      const { id, track } = request.params;
      return sendFileWithRange(request, reply, fastify.recording.finalizedFile(request.userId, id, track));
    },
  );
};

export default recordingRoutes;

import {
  CHUNK_MAX_BYTES,
  ChunkAckSchema,
  ChunkParamsSchema,
  ErrorResponseSchema,
  TrackDeclarationSchema,
  TrackParamsSchema,
  TrackSummarySchema,
} from "@tidemark/shared";
import { errorCodes, type FastifyRequest } from "fastify";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { sendFileWithRange } from "../lib/send-file-range.ts";

/** A chunk body as it came off the socket: its pieces, never joined into one copy. */
class ChunkBody {
  constructor(readonly pieces: Buffer[]) {}
}

/**
 * Collects a raw body within the route's body limit (413 as soon as it is exceeded; 400 when it
 * does not match its Content-Length), keeping the socket's buffers as they are: the chunk path
 * hashes and writes the pieces without copying ~1 MiB into one buffer first.
 */
function parseChunkBody(
  request: FastifyRequest,
  payload: NodeJS.ReadableStream,
  done: (error: Error | null, body?: ChunkBody) => void,
): void {
  const limit = request.routeOptions.bodyLimit ?? CHUNK_MAX_BYTES;
  const declared = Number(request.headers["content-length"]);
  if (declared > limit) return done(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
  const pieces: Buffer[] = [];
  let received = 0;
  const stop = () => {
    payload.removeListener("data", onData);
    payload.removeListener("end", onEnd);
    payload.removeListener("error", onEnd);
  };
  function onData(piece: Buffer | string) {
    const bytes = typeof piece === "string" ? Buffer.from(piece) : piece;
    received += bytes.length;
    if (received > limit) {
      stop();
      return done(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
    }
    pieces.push(bytes);
  }
  function onEnd(error?: Error & { statusCode?: number }) {
    stop();
    if (error) {
      if (!(typeof error.statusCode === "number" && error.statusCode >= 400)) error.statusCode = 400;
      return done(error);
    }
    if (!Number.isNaN(declared) && received !== declared) return done(new errorCodes.FST_ERR_CTP_INVALID_CONTENT_LENGTH());
    done(null, new ChunkBody(pieces));
  }
  payload.on("data", onData);
  payload.on("end", onEnd);
  payload.on("error", onEnd);
  payload.resume();
}

const errors = {
  400: ErrorResponseSchema,
  401: ErrorResponseSchema,
  404: ErrorResponseSchema,
  409: ErrorResponseSchema,
};

const recordingRoutes: FastifyPluginAsyncZod = async (fastify) => {
  const tags = ["recording"];

  // Chunks are raw 16-bit PCM. This parser is scoped to this plugin's routes.
  fastify.addContentTypeParser("application/octet-stream", { bodyLimit: CHUNK_MAX_BYTES }, parseChunkBody);

  // Before the server takes requests: rows of chunks whose records outlived their commit in a crash.
  fastify.addHook("onReady", async () => {
    const recovered = await fastify.recording.recoverChunkLogs();
    if (recovered.chunks > 0 || recovered.truncatedBytes > 0 || recovered.unreadable > 0 || recovered.removed > 0) {
      fastify.log.warn({ recovered }, "chunk logs recovered after an unclean stop");
    }
  });
  fastify.addHook("onClose", () => fastify.audioStore.close());

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
      // The hot path (a chunk a second per recording track): the answer is built by the service
      // from typed values, so it is stringified without being validated again.
      serializerCompiler: () => (data) => JSON.stringify(data),
    },
    async (request, reply) => {
      const { id, track, seq } = request.params;
      if (!(request.body instanceof ChunkBody)) {
        return reply.status(415).send({ message: "Chunks must be sent as application/octet-stream" });
      }
      const digest = request.headers["content-digest"];
      const ack = await fastify.recording.putChunk(
        request.userId,
        id,
        track,
        seq,
        request.body.pieces,
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

import {
  CHECKPOINT_MAX_BYTES,
  CheckpointConflictSchema,
  CheckpointDocumentSchema,
  ErrorResponseSchema,
  PREFERENCES_MAX_BYTES,
  PreferencesConflictSchema,
  PreferencesDocumentSchema,
  PutCheckpointBodySchema,
  PutPreferencesBodySchema,
  SessionParamsSchema,
} from "@tidemark/shared";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";

const errors = {
  400: ErrorResponseSchema,
  401: ErrorResponseSchema,
};

/** Server copies of preferences and session checkpoints: encrypted at rest, versioned (409 on a stale base). */
const backupRoutes: FastifyPluginAsyncZod = async (fastify) => {
  const tags = ["backup"];

  fastify.get(
    "/api/preferences",
    {
      schema: {
        tags,
        summary: "The caller's preferences (version 0 and the defaults before the first write)",
        response: { 200: PreferencesDocumentSchema, ...errors },
      },
    },
    async (request) => fastify.backups.getPreferences(request.userId),
  );

  fastify.put(
    "/api/preferences",
    {
      bodyLimit: PREFERENCES_MAX_BYTES,
      schema: {
        tags,
        summary: "Replace the preferences; accepted only when baseVersion is the current version",
        body: PutPreferencesBodySchema,
        response: { 200: PreferencesDocumentSchema, 409: PreferencesConflictSchema, 413: ErrorResponseSchema, ...errors },
      },
    },
    async (request) => fastify.backups.putPreferences(request.userId, request.body),
  );

  fastify.get(
    "/api/session/:id/checkpoint",
    {
      schema: {
        tags,
        summary: "The session's checkpoint (version 0 and null before the first write)",
        params: SessionParamsSchema,
        response: { 200: CheckpointDocumentSchema, 404: ErrorResponseSchema, ...errors },
      },
    },
    async (request) => fastify.backups.getCheckpoint(request.userId, request.params.id),
  );

  fastify.put(
    "/api/session/:id/checkpoint",
    {
      bodyLimit: CHECKPOINT_MAX_BYTES,
      schema: {
        tags,
        summary: "Replace the session's checkpoint (any status); accepted only when baseVersion is the current version",
        params: SessionParamsSchema,
        body: PutCheckpointBodySchema,
        response: {
          200: CheckpointDocumentSchema,
          404: ErrorResponseSchema,
          409: CheckpointConflictSchema,
          413: ErrorResponseSchema,
          ...errors,
        },
      },
    },
    async (request) => fastify.backups.putCheckpoint(request.userId, request.params.id, request.body),
  );
};

export default backupRoutes;

import type { FastifyError, FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { HttpError } from "../lib/http-errors.ts";

/**
 * The one place errors become answers. Every error answer is `{ message }`; client mistakes keep
 * their 4xx status and message, anything else is a 500 whose details stay in the log.
 */
export default fp(
  async function errorHandler(fastify: FastifyInstance) {
    fastify.setErrorHandler((error: FastifyError | HttpError, request, reply) => {
      if (error instanceof HttpError) {
        return reply.status(error.statusCode).send({ ...error.details, message: error.message });
      }
      if ("validation" in error && error.validation) {
        return reply.status(400).send({ message: error.message });
      }
      const status = error.statusCode ?? 500;
      if (status >= 400 && status < 500) {
        return reply.status(status).send({ message: error.message });
      }
      request.log.error({ err: error }, "request failed");
      return reply.status(500).send({ message: "Internal server error" });
    });

    fastify.setNotFoundHandler((request, reply) => {
      reply.status(404).send({ message: `No route for ${request.method} ${request.url.split("?")[0]}` });
    });
  },
  { name: "error-handler" },
);

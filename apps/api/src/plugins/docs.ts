import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import fp from "fastify-plugin";
import { jsonSchemaTransform } from "fastify-type-provider-zod";

const DOCS_PREFIX = "/api/docs";

/** OpenAPI generated from the routes' zod schemas, browsable at `/api/docs`. */
export default fp<{ version: string }>(
  async function docs(fastify, { version }) {
    await fastify.register(swagger, {
      openapi: {
        info: {
          title: "Tidemark API",
          description: "Sessions, recovery and events for the Tidemark audio studio.",
          version,
        },
        components: {
          securitySchemes: {
            bearer: { type: "http", scheme: "bearer" },
            cookie: { type: "apiKey", in: "cookie", name: "tidemark_token" },
          },
        },
        security: [{ bearer: [] }, { cookie: [] }],
      },
      transform: jsonSchemaTransform,
    });
    // The documentation is public, like the health check.
    fastify.addHook("onRoute", (route) => {
      if (route.url.startsWith(DOCS_PREFIX)) route.config = { ...route.config, public: true };
    });
    await fastify.register(swaggerUi, { routePrefix: DOCS_PREFIX });
  },
  { name: "docs" },
);

import { createApiClient } from "@tidemark/client";

/** The page talks to the API on its own origin (proxied by the dev server, served by the API in production). */
export const api = createApiClient();

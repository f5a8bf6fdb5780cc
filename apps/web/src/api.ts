import { createApiClient, DeviceIdentityStore } from "@tidemark/client";

/**
 * The page talks to the API on its own origin (proxied by the dev server, served by the API in
 * production). The device identity is also kept in IndexedDB, which survives a crash that the
 * lazily written cookie may not. The same client reads and writes the server's backup copies.
 */
export const api = createApiClient({ identity: new DeviceIdentityStore() });

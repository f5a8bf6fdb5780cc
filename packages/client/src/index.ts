export * from "./backoff.ts";
export * from "./event-client.ts";
export * from "./api-client.ts";

export * from "./constants.ts";
export * from "./common.ts";
export * from "./auth.ts";
export * from "./session.ts";
export * from "./recording.ts";
export * from "./events.ts";
export * from "./health.ts";

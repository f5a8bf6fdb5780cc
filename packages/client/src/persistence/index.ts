export * from "./state-storage.ts";
export * from "./record-codec.ts";
export * from "./quota-errors.ts";
export * from "./open-state-storage.ts";

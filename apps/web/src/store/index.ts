import { api } from "../api.ts";
import { recordingRuntime } from "../recording/recording-runtime.ts";
import { createAppStore } from "./app-store.ts";

export { createAppStore, type AppState, type AppStore, type StoreDependencies } from "./app-store.ts";

/** The page's store. Read it with single-value selectors: `useStore((s) => s.sessions)`. */
export const useStore = createAppStore({
  api,
  recorder: recordingRuntime.recorder,
  recovery: recordingRuntime.recovery,
  environment: recordingRuntime.environment,
});

import type { RecordingApi } from "@tidemark/client";
import { create } from "zustand";
import { createConnectionSlice, type ConnectionSlice } from "./connection-slice.ts";
import { createHistorySlice, type HistorySlice } from "./history-slice.ts";
import { createRecorderSlice, type RecorderEnvironment, type RecorderPort, type RecorderSlice } from "./recorder-slice.ts";
import { createRecoverySlice, type RecoveryDetector, type RecoverySlice } from "./recovery-slice.ts";
import { createSessionsSlice, type SessionsSlice } from "./sessions-slice.ts";

export interface StoreDependencies {
  api: RecordingApi;
  /** The recorder controller (see recording/recorder-controller.ts). */
  recorder: RecorderPort;
  recovery: RecoveryDetector;
  environment: RecorderEnvironment;
}

export type AppState = SessionsSlice & ConnectionSlice & HistorySlice & RecorderSlice & RecoverySlice;

/** Builds the one application store; tests build their own with fake dependencies. */
export function createAppStore(dependencies: StoreDependencies) {
  return create<AppState>()((...args) => ({
    ...createSessionsSlice(dependencies)(...args),
    ...createConnectionSlice(...args),
    ...createHistorySlice(dependencies)(...args),
    ...createRecorderSlice(dependencies)(...args),
    ...createRecoverySlice(dependencies)(...args),
  }));
}

export type AppStore = ReturnType<typeof createAppStore>;

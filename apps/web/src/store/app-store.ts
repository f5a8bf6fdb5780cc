import type { RecordingApi } from "@tidemark/client";
import { create } from "zustand";
import { createConnectionSlice, type ConnectionSlice } from "./connection-slice.ts";
import { createDraftSlice, type DraftSlice } from "./draft-slice.ts";
import { createEngineSlice, type EngineSlice } from "./engine-slice.ts";
import { createHistorySlice, type HistorySlice } from "./history-slice.ts";
import { createParametersSlice, type ParametersSlice } from "./parameters-slice.ts";
import { createPreferencesSlice, type PreferencesSlice } from "./preferences-slice.ts";
import { createRecorderSlice, type RecorderEnvironment, type RecorderPort, type RecorderSlice } from "./recorder-slice.ts";
import { createRecoverySlice, type RecoveryDetector, type RecoverySlice } from "./recovery-slice.ts";
import { createSessionsSlice, type SessionsSlice } from "./sessions-slice.ts";
import { createVoicesSlice, type VoicesSlice } from "./voices-slice.ts";

export interface StoreDependencies {
  api: RecordingApi;
  /** The recorder controller (see recording/recorder-controller.ts). */
  recorder: RecorderPort;
  recovery: RecoveryDetector;
  environment: RecorderEnvironment;
}

/**
 * The whole page state. What is saved between visits (parameters, engine, voices, preferences,
 * draft, recent sessions, dismissed recoveries) is picked in persistence/app-state-mapping.ts;
 * everything else (recorder, levels, errors, connection) lives only as long as the page.
 */
export type AppState = SessionsSlice &
  ConnectionSlice &
  HistorySlice &
  RecorderSlice &
  RecoverySlice &
  ParametersSlice &
  EngineSlice &
  VoicesSlice &
  PreferencesSlice &
  DraftSlice;

/** Builds the one application store; tests build their own with fake dependencies. */
export function createAppStore(dependencies: StoreDependencies) {
  return create<AppState>()((...args) => ({
    ...createSessionsSlice(dependencies)(...args),
    ...createConnectionSlice(...args),
    ...createHistorySlice(dependencies)(...args),
    ...createParametersSlice(...args),
    ...createEngineSlice(...args),
    ...createVoicesSlice(...args),
    ...createPreferencesSlice(...args),
    ...createDraftSlice(...args),
    ...createRecorderSlice(dependencies)(...args),
    ...createRecoverySlice(dependencies)(...args),
  }));
}

export type AppStore = ReturnType<typeof createAppStore>;

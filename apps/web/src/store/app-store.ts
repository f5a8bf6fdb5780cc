import type { SessionApi } from "@tidemark/client";
import { create } from "zustand";
import { api } from "../api.ts";
import { createConnectionSlice, type ConnectionSlice } from "./connection-slice.ts";
import { createSessionsSlice, type SessionsSlice } from "./sessions-slice.ts";

export interface StoreDependencies {
  api: SessionApi;
}

export type AppState = SessionsSlice & ConnectionSlice;

/** Builds the one application store; tests build their own with fake dependencies. */
export function createAppStore(dependencies: StoreDependencies) {
  return create<AppState>()((...args) => ({
    ...createSessionsSlice(dependencies)(...args),
    ...createConnectionSlice(...args),
  }));
}

export type AppStore = ReturnType<typeof createAppStore>;

/** The page's store. Read it with single-value selectors: `useStore((s) => s.sessions)`. */
export const useStore = createAppStore({ api });

import type { SessionDetail } from "@tidemark/shared";
import type { StateCreator } from "zustand";
import { messageOf } from "../error-message.ts";
import type { AppState, StoreDependencies } from "./app-store.ts";

export type SessionDetailState =
  | { status: "loading"; detail: SessionDetail | null }
  | { status: "loaded"; detail: SessionDetail }
  | { status: "failed"; detail: SessionDetail | null; error: string };

export interface HistorySlice {
  /** Details (tracks, files) of the sessions opened in the history, by id. */
  sessionDetails: Readonly<Record<string, SessionDetailState>>;
  loadSessionDetail: (id: string) => Promise<void>;
}

export function createHistorySlice({ api }: StoreDependencies): StateCreator<AppState, [], [], HistorySlice> {
  return (set) => {
    const latest = new Map<string, number>();

    function put(id: string, state: SessionDetailState): void {
      set((current) => ({ sessionDetails: { ...current.sessionDetails, [id]: state } }));
    }

    return {
      sessionDetails: {},

      async loadSessionDetail(id) {
        const ticket = (latest.get(id) ?? 0) + 1;
        latest.set(id, ticket);
        // While reloading, the previous detail stays on screen.
        set((current) => ({
          sessionDetails: { ...current.sessionDetails, [id]: { status: "loading", detail: current.sessionDetails[id]?.detail ?? null } },
        }));
        try {
          const detail = await api.getSession(id);
          if (latest.get(id) === ticket) put(id, { status: "loaded", detail });
        } catch (error) {
          if (latest.get(id) !== ticket) return;
          set((current) => ({
            sessionDetails: {
              ...current.sessionDetails,
              [id]: { status: "failed", detail: current.sessionDetails[id]?.detail ?? null, error: messageOf(error) },
            },
          }));
        }
      },
    };
  };
}

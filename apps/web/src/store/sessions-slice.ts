import type { ServerMessage, Session, SessionKind } from "@tidemark/shared";
import type { StateCreator } from "zustand";
import { messageOf } from "../error-message.ts";
import type { AppState, StoreDependencies } from "./app-store.ts";
import { applyEventToSessions, sortNewestFirst, upsertSession } from "./session-list.ts";

export interface SessionsSlice {
  /** The caller's sessions, newest first. */
  sessions: Session[];
  /** A list fetch is in flight. */
  loading: boolean;
  /** The list has been fetched at least once, so an empty list really is empty. */
  loaded: boolean;
  creating: boolean;
  /** Sessions with a resume or finish request in flight. */
  busySessionIds: string[];
  /** The last failure worth showing, as a sentence. */
  error: string | null;
  /** The session the user is working in (a recording, or the draft's session); persisted. */
  currentSessionId: string | null;

  load: () => Promise<void>;
  create: (kind: SessionKind, title: string) => Promise<Session | null>;
  resume: (id: string) => Promise<void>;
  finish: (id: string) => Promise<void>;
  /** Applies a live event; a resync message refetches the list instead. */
  applyEvent: (message: ServerMessage) => void;
  reportError: (error: unknown) => void;
  dismissError: () => void;
  setCurrentSession: (id: string | null) => void;
}

type ListUpdate = (sessions: Session[]) => Session[];

export function createSessionsSlice({ api }: StoreDependencies): StateCreator<AppState, [], [], SessionsSlice> {
  return (set, get) => {
    let latestLoad = 0;
    // Changes that arrive while a fetch is in flight may be newer than the fetched snapshot,
    // so they are replayed on top of it instead of being overwritten by it.
    let updatesDuringLoad: ListUpdate[] = [];

    function update(change: ListUpdate): void {
      set((state) => ({ sessions: change(state.sessions) }));
      if (get().loading) updatesDuringLoad.push(change);
    }

    async function runSessionAction(id: string, action: (id: string) => Promise<Session>): Promise<void> {
      set((state) => ({ busySessionIds: [...state.busySessionIds, id], error: null }));
      try {
        const session = await action(id);
        update((sessions) => upsertSession(sessions, session));
      } catch (error) {
        set({ error: messageOf(error) });
      } finally {
        set((state) => ({ busySessionIds: state.busySessionIds.filter((busyId) => busyId !== id) }));
      }
    }

    return {
      sessions: [],
      loading: false,
      loaded: false,
      creating: false,
      busySessionIds: [],
      error: null,
      currentSessionId: null,

      async load() {
        const ticket = ++latestLoad;
        updatesDuringLoad = [];
        set({ loading: true });
        try {
          const fetched = await api.listSessions();
          // A newer load started meanwhile; its answer is the fresher one.
          if (ticket !== latestLoad) return;
          const sessions = updatesDuringLoad.reduce((list, change) => change(list), sortNewestFirst(fetched));
          updatesDuringLoad = [];
          set({ sessions, loading: false, loaded: true });
        } catch (error) {
          if (ticket !== latestLoad) return;
          updatesDuringLoad = [];
          set({ loading: false, error: messageOf(error) });
        }
      },

      async create(kind, title) {
        set({ creating: true, error: null });
        try {
          const trimmed = title.trim();
          const session = await api.createSession({ kind, title: trimmed === "" ? undefined : trimmed });
          update((sessions) => upsertSession(sessions, session));
          return session;
        } catch (error) {
          set({ error: messageOf(error) });
          return null;
        } finally {
          set({ creating: false });
        }
      },

      resume: (id) => runSessionAction(id, (sessionId) => api.resumeSession(sessionId)),
      finish: (id) => runSessionAction(id, (sessionId) => api.finishSession(sessionId)),

      applyEvent(message) {
        if (message.type === "resync") {
          void get().load();
          return;
        }
        update((sessions) => applyEventToSessions(sessions, message));
      },

      reportError(error) {
        set({ error: messageOf(error) });
      },

      dismissError() {
        set({ error: null });
      },

      setCurrentSession(currentSessionId) {
        if (currentSessionId !== get().currentSessionId) set({ currentSessionId });
      },
    };
  };
}

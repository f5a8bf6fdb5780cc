import { CHAPTER_TEXT_MAX_LENGTH, PERSISTED_STATE_VERSION, PersistedAppStateSchema } from "@tidemark/shared";
import { afterEach, describe, expect, it } from "vitest";
import {
  appStateMigrations,
  defaultPersistedAppState,
  LEGACY_APP_STATE_STORAGE_KEY,
  splitIntoChapters,
  type PersistedAppStateV1,
} from "./app-state-migrations.ts";
import legacyZustandFixture from "./fixtures/zustand-persist-v0.json" with { type: "json" };
import v1Fixture from "./fixtures/app-state-v1.json" with { type: "json" };
import { decodeRecord } from "./record-codec.ts";
import { migrateState, MigrationError } from "./state-migrations.ts";
import { APP_KEY, appPersister, createTestAppStore, disposeAll, recordWrites, storeRecord } from "./test-support/persister-harness.ts";
import { LimitedKeyValueStore, openTestStateStorage } from "./test-support/storage-fakes.ts";

afterEach(() => disposeAll());

const v0Fixture = legacyZustandFixture.state;

function migrate(value: unknown, from: number, to = PERSISTED_STATE_VERSION): unknown {
  return migrateState(structuredClone(value), from, to, appStateMigrations);
}

describe("appStateMigrations", () => {
  it("has a default state that fits the current schema", () => {
    expect(PersistedAppStateSchema.safeParse(defaultPersistedAppState()).success).toBe(true);
  });

  it("carries the flat zustand state of version 0 into the slices of version 1", () => {
    const v1 = migrate(v0Fixture, 0, 1) as PersistedAppStateV1;

    // Speed became rate; a missing volume takes the default; an unknown engine falls back.
    expect(v1.parameters).toEqual({ rate: 1.25, pitch: 0.9, volume: 1, paragraphPauseMs: 600 });
    expect(v1.engine).toBe("flite");
    expect(v1.voices.selected).toBe("awb");
    // Names are trimmed, out-of-range values clamped, nameless or malformed voices dropped.
    expect(v1.voices.saved).toEqual([
      {
        id: "narrator-warm",
        name: "Warm narrator",
        engine: "flite",
        voice: "slt",
        parameters: { rate: 0.95, pitch: 1.05, volume: 0.8, paragraphPauseMs: 600 },
      },
      {
        id: "voice-2",
        name: "Fast reader",
        engine: "flite",
        voice: "rms",
        parameters: { rate: 2, pitch: 1, volume: 1, paragraphPauseMs: 600 },
      },
    ]);
    // Newest first now, and a session the server could not have listed is left out.
    expect(v1.sessions.recent.map((session) => session.title)).toEqual(["Moby-Dick, chapters 4-6", "Moby-Dick, chapters 1-3"]);
    expect(v1.sessions.currentSessionId).toBe("0190f5d2-8c4e-7a3b-9d2f-1c2b3a4d5e02");
    expect(v1.preferences).toEqual({ devices: { microphoneId: null, secondInput: null }, recoveryPrompts: false });
    expect(v1.draft).toMatchObject({ sessionId: "0190f5d2-8c4e-7a3b-9d2f-1c2b3a4d5e02", text: v0Fixture.text, cursor: 0 });
  });

  it("splits the draft text of version 1 into chapters at its headings and keeps the cursor on its character", () => {
    const v2 = PersistedAppStateSchema.parse(migrate(v1Fixture, 1));

    expect(v2.draft.chapters.map((chapter) => chapter.title)).toEqual(["Chapter 1", "Chapter 2", "Chapter 3"]);
    expect(v2.draft.chapters[0]?.text).toMatch(/^Sir Walter Elliot.*Baronetage\.\n$/);
    expect(v2.draft.chapters[1]?.text).toMatch(/^Mr Shepherd, a civil/);
    expect(v2.draft.position).toEqual({ chapter: 1, offset: 11 });
    expect(v2.draft.chapters[1]?.text.slice(11, 20)).toBe(v1Fixture.draft.text.slice(160, 169));
    expect(v2.draft).toMatchObject({ title: "Persuasion", notes: "Slow down for the letters in chapter 23." });
    // Everything outside the draft is carried over untouched.
    const { draft: _v1Draft, ...v1Rest } = v1Fixture;
    const { draft: _v2Draft, ...v2Rest } = v2;
    expect(v2Rest).toEqual(v1Rest);
  });

  it("takes the zustand state of version 0 all the way to a valid current state", () => {
    const current = PersistedAppStateSchema.parse(migrate(v0Fixture, 0));

    expect(current.draft.chapters.map((chapter) => chapter.title)).toEqual(["Chapter 4. The Counterpane", "Chapter 5. Breakfast"]);
    expect(current.draft.chapters[1]?.text).toBe("I quickly followed suit, and descending into the bar-room accosted the grinning landlord.\n");
  });

  it("fails with a MigrationError naming the step when version 0 holds something that is not a draft", () => {
    const broken = { ...v0Fixture, text: { ops: [{ insert: "Call me Ishmael." }] } };

    expect(() => migrate(broken, 0)).toThrow(MigrationError);
    expect(() => migrate(broken, 0)).toThrow(/0 → 1 .*draft text is not text/);
  });

  it("fails when version 1 has no draft text", () => {
    const { draft: _draft, ...withoutDraft } = v1Fixture;

    expect(() => migrate(withoutDraft, 1)).toThrow(/1 → 2/);
  });

  it("fails on a version no migration reads", () => {
    expect(() => migrateState({}, -1, PERSISTED_STATE_VERSION, appStateMigrations)).toThrow(/No migration reads version -1/);
  });
});

describe("splitIntoChapters", () => {
  it("makes one chapter of text without headings and of empty text", () => {
    expect(splitIntoChapters("Just one long thought.", 5)).toEqual({
      chapters: [{ id: "chapter-1", title: "Chapter 1", text: "Just one long thought." }],
      position: { chapter: 0, offset: 5 },
    });
    expect(splitIntoChapters("", 0).chapters).toEqual([{ id: "chapter-1", title: "Chapter 1", text: "" }]);
  });

  it("puts a cursor standing on a heading at the start of that chapter", () => {
    const text = "# One\nfirst\n# Two\nsecond\n";

    expect(splitIntoChapters(text, text.indexOf("# Two") + 2).position).toEqual({ chapter: 1, offset: 0 });
  });

  it("cuts a chapter longer than a chapter may be into parts", () => {
    const text = `# Long\n${"a".repeat(CHAPTER_TEXT_MAX_LENGTH)}${"b".repeat(10)}`;

    const { chapters, position } = splitIntoChapters(text, text.length);

    expect(chapters.map((chapter) => [chapter.title, chapter.text.length])).toEqual([
      ["Long (part 1)", CHAPTER_TEXT_MAX_LENGTH],
      ["Long (part 2)", 10],
    ]);
    expect(position).toEqual({ chapter: 1, offset: 10 });
  });
});

/** A page load that finds `value` stored as a record of `schemaVersion`. */
async function loadStored(value: unknown, schemaVersion: number) {
  const { storage } = await openTestStateStorage();
  const record = await storeRecord(storage, value, schemaVersion);
  const store = createTestAppStore();
  const persister = appPersister(storage, store);
  await persister.hydrate();
  return { storage, record, store, persister };
}

describe("migrations on load", () => {
  it("loads a record of version 0, migrates it and writes it back as the current version", async () => {
    const { store, persister } = await loadStored(v0Fixture, 0);

    expect(persister.getStatus().persistedVersion).toBe(0);
    await persister.flush();

    expect(store.getState().parameters.rate).toBe(1.25);
    expect(store.getState().draft.chapters).toHaveLength(2);
    expect(persister.getStatus()).toMatchObject({ persistedVersion: PERSISTED_STATE_VERSION, corruption: null });
    expect(await persister.getPersistedVersion()).toBe(PERSISTED_STATE_VERSION);
  });

  it("loads a record of version 1 and writes it back as the current version", async () => {
    const { storage, store, persister } = await loadStored(v1Fixture, 1);
    await persister.flush();

    expect(store.getState().draft.position).toEqual({ chapter: 1, offset: 11 });
    const stored = await decodeRecord(await storage.readRecord(APP_KEY));
    expect(stored.ok && stored.record.schemaVersion).toBe(PERSISTED_STATE_VERSION);
  });

  it("keeps a record whose migration fails readable in quarantine, starts from defaults and does not throw", async () => {
    const { storage, record: original, store, persister } = await loadStored({ ...v0Fixture, sessions: "not a list" }, 0);
    await expect(persister.hydrate()).resolves.toBeUndefined();

    expect(persister.getStatus().corruption).toMatchObject({ reason: "migration", detail: expect.stringMatching(/sessions is not a list/) });
    expect(store.getState().parameters).toEqual(defaultPersistedAppState().parameters);
    const [quarantined] = await storage.listQuarantined();
    const kept = await decodeRecord(quarantined?.record);
    expect(kept.ok && kept.value).toMatchObject({ sessions: "not a list", text: v0Fixture.text });
    expect(kept.ok && kept.record).toEqual(original);
  });

  it("reads a zustand persist value from the legacy localStorage key once, stores it here and removes the legacy copy", async () => {
    const { storage } = await openTestStateStorage();
    const writes = recordWrites(storage);
    const local = new LimitedKeyValueStore();
    local.setItem(LEGACY_APP_STATE_STORAGE_KEY, JSON.stringify(legacyZustandFixture));
    const store = createTestAppStore();
    const persister = appPersister(storage, store, { legacy: { storage: local, key: LEGACY_APP_STATE_STORAGE_KEY } });

    await persister.hydrate();
    await persister.flush();

    expect(store.getState().voices.selected).toBe("awb");
    expect(writes).toHaveLength(1);
    expect(local.getItem(LEGACY_APP_STATE_STORAGE_KEY)).toBeNull();
  });

  it("moves an unreadable legacy value into quarantine instead of dropping it", async () => {
    const { storage } = await openTestStateStorage();
    const local = new LimitedKeyValueStore();
    local.setItem(LEGACY_APP_STATE_STORAGE_KEY, '{"state": {"parameters": ');
    const persister = appPersister(storage, createTestAppStore(), { legacy: { storage: local, key: LEGACY_APP_STATE_STORAGE_KEY } });

    await persister.hydrate();

    expect(persister.getStatus().corruption?.reason).toBe("decode");
    expect(await storage.listQuarantined()).toMatchObject([{ key: `legacy:${LEGACY_APP_STATE_STORAGE_KEY}`, record: '{"state": {"parameters": ' }]);
    expect(local.getItem(LEGACY_APP_STATE_STORAGE_KEY)).toBeNull();
  });
});

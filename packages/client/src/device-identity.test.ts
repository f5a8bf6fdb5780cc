import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import { describe, expect, it } from "vitest";
import { DeviceIdentityStore } from "./device-identity.ts";

describe("DeviceIdentityStore", () => {
  it("keeps the device identity across a reopen of the same database", async () => {
    const indexedDB = new IDBFactory();
    const first = new DeviceIdentityStore({ indexedDB, IDBKeyRange });
    expect(await first.load()).toBeUndefined();
    await first.save({ userId: "u-1", token: "t".repeat(43) });
    first.close();

    const reopened = new DeviceIdentityStore({ indexedDB, IDBKeyRange });
    expect(await reopened.load()).toEqual({ userId: "u-1", token: "t".repeat(43) });
    await reopened.save({ userId: "u-2", token: "s".repeat(43) });
    expect(await reopened.load()).toEqual({ userId: "u-2", token: "s".repeat(43) });
    reopened.close();
  });
});

import type { DeviceAuthResponse } from "@tidemark/shared";
import Dexie, { type Table } from "dexie";
import type { DeviceIdentityStorage } from "./api-client.ts";

export const DEFAULT_IDENTITY_DATABASE = "tidemark-identity";

interface IdentityRecord extends DeviceAuthResponse {
  key: "device";
}

class IdentityDatabase extends Dexie {
  declare identity: Table<IdentityRecord, string>;

  constructor(name: string, options: DeviceIdentityStoreOptions) {
    super(name, {
      ...(options.indexedDB ? { indexedDB: options.indexedDB } : {}),
      ...(options.IDBKeyRange ? { IDBKeyRange: options.IDBKeyRange } : {}),
      chromeTransactionDurability: "strict",
    });
    this.version(1).stores({ identity: "key" });
  }
}

export interface DeviceIdentityStoreOptions {
  name?: string;
  indexedDB?: IDBFactory;
  IDBKeyRange?: typeof IDBKeyRange;
}

/**
 * The device's identity in IndexedDB, committed before anything is recorded under it. Cookies
 * reach the disk lazily, IndexedDB commits do not, so after a crash this is what proves which
 * user the journal's sessions belong to.
 */
export class DeviceIdentityStore implements DeviceIdentityStorage {
  readonly #db: IdentityDatabase;

  constructor(options: DeviceIdentityStoreOptions = {}) {
    this.#db = new IdentityDatabase(options.name ?? DEFAULT_IDENTITY_DATABASE, options);
  }

  async load(): Promise<DeviceAuthResponse | undefined> {
    const record = await this.#db.identity.get("device");
    return record ? { userId: record.userId, token: record.token } : undefined;
  }

  async save(identity: DeviceAuthResponse): Promise<void> {
    await this.#db.identity.put({ key: "device", userId: identity.userId, token: identity.token });
  }

  close(): void {
    this.#db.close();
  }
}

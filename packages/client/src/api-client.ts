import {
  DeviceAuthResponseSchema,
  ErrorResponseSchema,
  KeepaliveResponseSchema,
  SessionListSchema,
  SessionSchema,
  type CreateSessionBody,
  type KeepaliveResponse,
  type Session,
} from "@tidemark/shared";

/** A non-2xx answer (or none at all, `status` 0), carrying the server's `{ message }`. */
export class ApiError extends Error {
  readonly status: number;

  constructor(status: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ApiError";
    this.status = status;
  }
}

/** The session endpoints the UI drives. */
export interface SessionApi {
  /** Makes sure the browser holds a device cookie, registering a new anonymous device if not. */
  ensureDevice(): Promise<void>;
  /** The caller's sessions, newest first. */
  listSessions(): Promise<Session[]>;
  createSession(body: CreateSessionBody): Promise<Session>;
  resumeSession(id: string): Promise<Session>;
  finishSession(id: string): Promise<Session>;
  keepalive(id: string): Promise<KeepaliveResponse>;
}

export interface ApiClientOptions {
  fetch?: typeof fetch;
  /** Prefix for every path; empty means the page's own origin. */
  baseUrl?: string;
}

interface Parser<T> {
  parse(input: unknown): T;
}

export function createApiClient(options: ApiClientOptions = {}): SessionApi {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const baseUrl = options.baseUrl ?? "";

  async function send(method: string, path: string, body?: unknown): Promise<Response> {
    const init: RequestInit = {
      method,
      credentials: "same-origin",
      headers: { accept: "application/json" },
    };
    // A JSON content type with an empty body is itself a 400, so only set it with a body.
    if (body !== undefined) {
      init.headers = { accept: "application/json", "content-type": "application/json" };
      init.body = JSON.stringify(body);
    }
    try {
      // Called unbound: browsers reject a native fetch invoked with a foreign `this`.
      return await fetchImpl(`${baseUrl}${path}`, init);
    } catch (error) {
      throw new ApiError(0, "The server could not be reached. Check the connection and try again.", {
        cause: error,
      });
    }
  }

  async function request<T>(method: string, path: string, schema: Parser<T>, body?: unknown): Promise<T> {
    return parseAnswer(await send(method, path, body), schema);
  }

  const sessionPath = (id: string) => `/api/session/${encodeURIComponent(id)}`;

  return {
    async ensureDevice() {
      const first = await send("GET", "/api/sessions");
      if (first.status !== 401) {
        await parseAnswer(first, SessionListSchema);
        return;
      }
      await request("POST", "/api/auth/device", DeviceAuthResponseSchema);
      // The cookie set by the device answer must now be accepted; a second 401 surfaces as an error.
      await request("GET", "/api/sessions", SessionListSchema);
    },
    async listSessions() {
      return (await request("GET", "/api/sessions", SessionListSchema)).sessions;
    },
    createSession(body) {
      return request("POST", "/api/sessions", SessionSchema, body);
    },
    resumeSession(id) {
      return request("POST", `${sessionPath(id)}/resume`, SessionSchema);
    },
    finishSession(id) {
      return request("POST", `${sessionPath(id)}/finish`, SessionSchema);
    },
    keepalive(id) {
      return request("POST", `${sessionPath(id)}/keepalive`, KeepaliveResponseSchema);
    },
  };
}

async function parseAnswer<T>(response: Response, schema: Parser<T>): Promise<T> {
  const json = await readJson(response);
  if (!response.ok) {
    const error = ErrorResponseSchema.safeParse(json);
    const message = error.success ? error.data.message : fallbackMessage(response.status);
    throw new ApiError(response.status, message);
  }
  try {
    return schema.parse(json);
  } catch (cause) {
    throw new ApiError(response.status, "The server's answer did not have the expected shape.", { cause });
  }
}

// Answers without `{ message }` come from something in front of the API (a proxy, a gateway).
function fallbackMessage(status: number): string {
  if (status >= 500) return `The server is unavailable right now (${status}). Try again in a moment.`;
  return `The request was refused (${status}).`;
}

async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

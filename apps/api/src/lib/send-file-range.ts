import { createReadStream } from "node:fs";
import type { FastifyReply, FastifyRequest } from "fastify";

export interface RangedFile {
  path: string;
  size: number;
  /** A strong validator for the content (its SHA-256). */
  etag: string;
  contentType: string;
  filename: string;
}

type ByteRange = { start: number; end: number };

/**
 * Parses a single `bytes=` range (RFC 9110 §14.1.2). Returns null to ignore the header (it is
 * malformed or asks for several ranges: the whole file is sent), or "unsatisfiable".
 */
export function parseRange(header: string | undefined, size: number): ByteRange | null | "unsatisfiable" {
  if (!header) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return null;
  const [, from = "", to = ""] = match;
  if (from === "" && to === "") return null;
  if (from === "") {
    const suffix = Number(to);
    if (suffix === 0) return "unsatisfiable";
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(from);
  if (start >= size) return "unsatisfiable";
  const end = to === "" ? size - 1 : Math.min(Number(to), size - 1);
  if (end < start) return null;
  return { start, end };
}

/**
 * Sends a file with `Range` support (206 / 416), `ETag`, `If-None-Match` and `If-Range`, so a
 * broken download resumes at its byte.
 */
export function sendFileWithRange(request: FastifyRequest, reply: FastifyReply, file: RangedFile): FastifyReply {
  const etag = `"${file.etag}"`;
  reply
    .header("accept-ranges", "bytes")
    .header("etag", etag)
    .header("cache-control", "private, no-cache");

  if (request.headers["if-none-match"] === etag) return reply.status(304).send();

  const ifRange = request.headers["if-range"];
  const rangeHeader = ifRange === undefined || ifRange === etag ? request.headers.range : undefined;
  const range = parseRange(rangeHeader, file.size);
  if (range === "unsatisfiable") {
    return reply.status(416).header("content-range", `bytes */${file.size}`).send({ message: "Range not satisfiable" });
  }
  reply
    .header("content-type", file.contentType)
    .header("content-disposition", `inline; filename="${file.filename.replace(/[^\w.-]+/g, "_")}"`);
  if (range === null) {
    reply.header("content-length", file.size);
    return reply.status(200).send(createReadStream(file.path));
  }
  reply
    .header("content-range", `bytes ${range.start}-${range.end}/${file.size}`)
    .header("content-length", range.end - range.start + 1);
  return reply.status(206).send(createReadStream(file.path, { start: range.start, end: range.end }));
}

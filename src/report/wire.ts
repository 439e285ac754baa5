/**
 * The Jupyter messaging wire format (protocol v5.3) and loopback ports for a kernel's sockets: the
 * parts of the kernel client (kernel.ts) that need neither zeromq nor a kernel process.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import * as net from "node:net";

export interface Message {
  header: { msg_id: string; msg_type: string; session: string; username: string; date: string; version: string };
  parent_header: { msg_id?: string; msg_type?: string };
  metadata: Record<string, unknown>;
  content: Record<string, any>;
}

export const DELIM = "<IDS|MSG>";

/** HMAC-SHA256 of the four JSON frames, hex, as the protocol defines the signature. */
export function sign(key: string, frames: readonly (string | Buffer)[]): string {
  const h = createHmac("sha256", key);
  for (const f of frames) h.update(f);
  return h.digest("hex");
}

/** Serialises a message to wire frames: delimiter, signature, header, parent, metadata, content. */
export function encodeMessage(key: string, msg: Message): Buffer[] {
  const frames = [msg.header, msg.parent_header, msg.metadata, msg.content].map((x) => Buffer.from(JSON.stringify(x)));
  return [Buffer.from(DELIM), Buffer.from(sign(key, frames)), ...frames];
}

/** Parses wire frames (any routing prefix before the delimiter), verifying the signature. */
export function decodeMessage(key: string, frames: readonly Buffer[]): Message {
  const d = frames.findIndex((f) => f.toString() === DELIM);
  if (d < 0 || frames.length < d + 6) throw new Error(`kernel message: ${frames.length} frames without a complete <IDS|MSG> part; the peer is not a Jupyter kernel`);
  const signature = frames[d + 1];
  const body = frames.slice(d + 2, d + 6);
  const expected = Buffer.from(sign(key, body));
  if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) {
    throw new Error(`kernel message: bad HMAC signature ${JSON.stringify(signature.toString().slice(0, 16))}…; the kernel uses another key`);
  }
  const [header, parent_header, metadata, content] = body.map((b) => JSON.parse(b.toString()));
  return { header, parent_header, metadata, content };
}

/** Finds `count` free loopback TCP ports by listening on port 0. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<net.Server>((resolve, reject) => {
      const s = net.createServer();
      s.once("error", reject);
      s.listen(0, "127.0.0.1", () => resolve(s));
    })),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

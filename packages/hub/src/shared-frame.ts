/**
 * One publication serialized once for every subscriber on this node. The JSON payload is shared
 * by every socket; when a publication leaves a socket alone (nothing else queued for it), the hub
 * writes the complete WebSocket frame, built once, instead of framing it again per socket.
 */
export class SharedFrame {
  private framedBytes: Buffer | undefined;

  constructor(readonly payload: Buffer) {}

  get length(): number {
    return this.payload.length;
  }

  /** The whole unmasked server→client text frame (RFC 6455 §5.2), built on first use. */
  get framed(): Buffer {
    this.framedBytes ??= frameText(this.payload);
    return this.framedBytes;
  }
}

const NEWLINE = 0x0a;

/** FIN + text opcode, unmasked, with the 7-bit, 16-bit or 64-bit payload length. */
export function frameText(payload: Buffer): Buffer {
  const frame = allocTextFrame(payload.length);
  payload.copy(frame, frame.length - payload.length);
  return frame;
}

/** A text frame for `length` payload bytes, header written; the payload goes in its last `length` bytes. */
export function allocTextFrame(length: number): Buffer {
  const headerLength = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + length);
  frame[0] = 0x81;
  if (length < 126) frame[1] = length;
  else if (length < 65_536) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  return frame;
}

/**
 * The publications of one channel delivered since the last write pass, in order, with the
 * FlushScheduler sequence number each got (its place among the frames queued for any socket).
 * The pass hands the run to every subscriber at once; the frame of the whole run is built once.
 */
export class PublicationRun {
  readonly frames: SharedFrame[] = [];
  readonly seqs: number[] = [];
  bytes = 0;
  private framedBytes: Buffer | undefined;

  add(frame: SharedFrame, seq: number): void {
    this.frames.push(frame);
    this.seqs.push(seq);
    this.bytes += frame.length;
    this.framedBytes = undefined;
  }

  /** One WebSocket frame carrying the run (NDJSON when more than one), built on first use. */
  get framed(): Buffer {
    if (this.framedBytes !== undefined) return this.framedBytes;
    const frames = this.frames;
    this.framedBytes = frames.length === 1 ? (frames[0] as SharedFrame).framed : frameLines(frames);
    return this.framedBytes;
  }
}

/**
 * One complete text frame whose payload is the items joined by newlines (NDJSON): shared
 * publications and a connection's own replies alike, copied once into the frame — one socket
 * write, where `ws.send` would copy the joined text again and write header and payload apart.
 */
export function frameLines(items: readonly (string | SharedFrame)[]): Buffer {
  let length = items.length - 1;
  for (const item of items) length += typeof item === "string" ? Buffer.byteLength(item) : item.length;
  const frame = allocTextFrame(length);
  let at = frame.length - length;
  for (let i = 0; i < items.length; i++) {
    if (i > 0) frame[at++] = NEWLINE;
    const item = items[i] as string | SharedFrame;
    at += typeof item === "string" ? frame.write(item, at) : item.payload.copy(frame, at);
  }
  return frame;
}

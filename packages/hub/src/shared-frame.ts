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

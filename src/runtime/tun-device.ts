/**
 * The endpoint's inner device over a real TUN, with writes batched: each decrypted packet is copied into
 * the TUN's write arena and the whole batch goes to the kernel in one native call once the current
 * receive batch has been handled (a microtask, so nothing waits for a timer). One native crossing per
 * batch instead of one per packet; packets too large for an arena slot are written at once.
 */
import type { InnerDevice } from '../endpoint/links.js';
import type { Tun } from '../net/tun.js';

export class BatchedTunDevice implements InnerDevice {
  private flushScheduled = false;
  private readonly flushNow = () => {
    this.flushScheduled = false;
    this.tun.flush();
  };

  constructor(readonly tun: Tun) {}

  write(buf: Uint8Array, offset: number, length: number): boolean {
    const tun = this.tun;
    if (length > tun.maxPacket) return tun.write(buf, offset, length);
    tun.sendBuffer.set(buf.subarray(offset, offset + length), tun.sendOffset);
    tun.commit(length);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(this.flushNow);
    }
    return true;
  }

  /** Writes whatever is queued now (before closing). */
  flush(): void {
    this.tun.flush();
  }
}

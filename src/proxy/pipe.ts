// One direction of a link, the plain pump: bytes read from `src` go to the outlet unchanged and uncopied (the
// destination socket, or a fault stage in front of it), a full outlet pauses `src` until it drains, and `src`'s end
// goes on after the last byte. The socket outlet writes, then hands the same chunk to the tap.
import type { Socket } from 'node:net';
import type { From } from '../core/events.js';
import { noteRead } from './read-buffers.js';

/** Where a pipe's bytes go. */
export interface Outlet {
  /** Takes the chunk, always (nothing is dropped); false asks the writer to wait for `onDrain`. */
  write(chunk: Buffer): boolean;
  /** No more chunks: the end goes on after the last one. */
  end(): void;
  /** Set by whoever writes to this outlet: called once an outlet that returned false takes more. */
  onDrain: () => void;
}

export class Pipe {
  private paused = false;
  private outlet!: Outlet;

  constructor(
    readonly from: From,
    private readonly src: Socket,
    outlet: Outlet,
  ) {
    this.to(outlet);
  }

  /** Starts reading `src` (it was created paused, so early bytes wait in the kernel, in order). */
  start(): void {
    this.src.on('data', this.onData);
    this.src.on('end', () => this.outlet.end());
    this.src.resume();
  }

  /** From now on the bytes go to `outlet` (a fault stage was put in front of the socket, or taken out). */
  to(outlet: Outlet): void {
    this.outlet = outlet;
    outlet.onDrain = this.onDrain;
    this.onDrain(); // the new outlet has not said it is full
  }

  /** True while `src` is paused because its bytes cannot go on yet (a slow destination, a fault). */
  get holding(): boolean {
    return this.paused;
  }

  private readonly onData = (chunk: Buffer): void => {
    noteRead(chunk.length);
    if (!this.outlet.write(chunk) && !this.paused) {
      this.paused = true;
      this.src.pause();
    }
  };

  private readonly onDrain = (): void => {
    if (!this.paused) return;
    this.paused = false;
    this.src.resume();
  };
}

/** The end of a pipe: writes to the destination socket, then shows the chunk to the tap. */
export class SocketOutlet implements Outlet {
  onDrain = (): void => {};
  private ended = false;

  constructor(
    private readonly dst: Socket,
    private readonly from: From,
    private readonly tap: (from: From, chunk: Buffer) => void,
  ) {
    dst.on('drain', () => this.onDrain());
  }

  write(chunk: Buffer): boolean {
    // A destroyed destination means the link is closing: do not tap bytes that went nowhere.
    if (this.dst.destroyed) return true;
    const ok = this.dst.write(chunk);
    this.tap(this.from, chunk);
    return ok;
  }

  end(): void {
    if (this.ended || this.dst.destroyed) return;
    this.ended = true;
    this.dst.end();
  }
}

import { EventEmitter } from "node:events";
import type { Verification } from "../domain/verification.js";

/**
 * In-process notification that a verification changed, for SSE streams and waiting CLIs. It
 * carries no authority: listeners re-read or receive the committed row. Another instance's
 * changes arrive here through PostgreSQL notifications (instance-signals.ts); a CLI's on the same
 * SQLite file, through the watchers' own polling.
 */
export interface ChangeBus {
  publish(verification: Verification): void;
  subscribe(verificationId: string, listener: (v: Verification) => void): () => void;
  /** Whether anyone here watches this verification (so another instance's change is worth reading). */
  hasSubscribers(verificationId: string): boolean;
}

export function createChangeBus(): ChangeBus {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  return {
    publish(verification) {
      emitter.emit(verification.id, verification);
    },
    hasSubscribers: (id) => emitter.listenerCount(id) > 0,
    subscribe(id, listener) {
      emitter.on(id, listener);
      return () => emitter.off(id, listener);
    },
  };
}

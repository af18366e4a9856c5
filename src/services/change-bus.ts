import { EventEmitter } from "node:events";
import type { Verification } from "../domain/verification.js";

/**
 * In-process notification that a verification changed, for SSE streams and waiting CLIs. It
 * carries no authority: listeners re-read or receive the committed row. Changes made by another
 * process reach listeners through their own polling, never through here.
 */
export interface ChangeBus {
  publish(verification: Verification): void;
  subscribe(verificationId: string, listener: (v: Verification) => void): () => void;
}

export function createChangeBus(): ChangeBus {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  return {
    publish(verification) {
      emitter.emit(verification.id, verification);
    },
    subscribe(id, listener) {
      emitter.on(id, listener);
      return () => emitter.off(id, listener);
    },
  };
}

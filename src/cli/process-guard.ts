/**
 * The server process's policy for errors nothing caught. An unhandled promise rejection is logged at error level
 * with its error and counted, and the server keeps serving (one lost promise must not drop every request in
 * flight). An uncaught exception is logged at fatal level and counted, then `onFatal` stops the server gracefully
 * and the process exits 1: the process may be in a broken state, so it must not go on serving, but it must not
 * die silently or cut off the requests it has accepted either.
 */
import type { Logger } from '../telemetry/logger.js';
import { processFaults } from '../telemetry/process-faults.js';

export interface ProcessGuard {
  /** Removes the handlers (tests and embedders that own the process). */
  uninstall(): void;
}

/** Installs the handlers; `onFatal` is called once per uncaught exception (it must be idempotent). */
export function installProcessGuard(logger: Logger, onFatal: (err: unknown) => void): ProcessGuard {
  const rejection = (reason: unknown) => {
    processFaults.inc({ kind: 'unhandled_rejection' });
    logger.error(
      { err: reason, fault: 'unhandled_rejection' },
      'unhandled promise rejection (a bug; the server keeps running): please report it with this log line',
    );
  };
  const exception = (err: Error, origin: string) => {
    processFaults.inc({ kind: 'uncaught_exception' });
    logger.fatal(
      { err, origin, fault: 'uncaught_exception' },
      'uncaught exception (a bug): stopping gracefully, then exiting 1',
    );
    onFatal(err);
  };
  process.on('unhandledRejection', rejection);
  process.on('uncaughtException', exception);
  return {
    uninstall: () => {
      process.off('unhandledRejection', rejection);
      process.off('uncaughtException', exception);
    },
  };
}

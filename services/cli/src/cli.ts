/**
 * Process entry of the `csbs-errors` command (the bin runs the compiled copy of this file).
 *
 * A command that fails exits at once with its message: setting the exit code alone would leave the
 * process running on whatever it had opened (a Kafka client retrying, a timer), saying nothing.
 * A command that finished gets a moment to flush and close, then exits with its code.
 */
import { main } from './main.js';

/** Time a finished command has to let its last writes and handles end before the process exits. */
const EXIT_GRACE_MS = 2_000;

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
  },
  (error: unknown) => {
    process.stderr.write(`csbs-errors: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);

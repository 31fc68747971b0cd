/** Process entry of the `csbs-errors` command (the bin runs the compiled copy of this file). */
import { main } from './main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`csbs-errors: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);

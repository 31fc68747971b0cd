import { z } from 'zod';

/** One row of the vendor's table, as stored in `data/catalog.json`. */
export const catalogRowSchema = z
  .object({
    /** The HTTP status the vendor documents for the code. */
    status: z.number().int().min(100).max(599),
    code: z.string().regex(/^[A-Za-z][A-Za-z0-9_]*\.[A-Za-z0-9_]+$/, 'expected a code such as CSBS.6006'),
    /** The message as the service emits it, with `%s` / `{name}` placeholders. */
    template: z.string().min(1),
    description: z.string(),
    solution: z.string(),
    /** The vendor marks the row "(Not used currently.)". */
    unused: z.boolean(),
  })
  .strict();

export const catalogFileSchema = z
  .object({
    /** File name of the vendor table the rows were imported from. */
    source: z.string().min(1),
    rows: z.array(catalogRowSchema).min(1),
  })
  .strict();

export type CatalogRow = z.infer<typeof catalogRowSchema>;
export type CatalogFile = z.infer<typeof catalogFileSchema>;

/** zod issues as `path: message` lines, for error messages that name the bad field. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(file)'}: ${issue.message}`).join('; ');
}

import { Catalog } from '@csbs-errors/catalog';
import { z } from 'zod';

export const DEFAULT_MAX_MESSAGE_BYTES = 8 * 1024 * 1024;
export const DEFAULT_SERVICE_PATTERN = /csbs|karbor|backup/i;

export const FORMAT_CHOICES = ['auto', 'apisix', 'kong', 'flat', 'mapped'] as const;

const dottedPath = z
  .string()
  .regex(/^[^.\s]+(?:\.[^.\s]+)*$/, 'expected a dotted path such as "response.status"');

/**
 * Where our fields are in a record of another JSON shape: our field → dotted path in the record.
 * The required four make a record readable; the others fill what they can.
 */
export const fieldMappingSchema = z
  .object({
    method: dottedPath,
    path: dottedPath,
    status: dottedPath,
    /** ISO-8601 with any offset, or epoch seconds / milliseconds (told apart by magnitude). */
    time: dottedPath,
    request_id: dottedPath.optional(),
    /** The response body (JSON text or an object). */
    body: dottedPath.optional(),
    latency_ms: dottedPath.optional(),
    /** Tenant when the path has no `/v1/{project_id}/` (like the consumer of the built-in formats). */
    tenant: dottedPath.optional(),
    /** Service or route name, tested against the service pattern. */
    service: dottedPath.optional(),
    /** Host, tested against the service pattern. */
    host: dottedPath.optional(),
    /** The request body, only read for `resources/action` (check_protectable / check_restorable). */
    request_body: dottedPath.optional(),
  })
  .strict();

export const extractorOptionsSchema = z
  .object({
    /** The error catalog; default: the catalog package's data file. */
    catalog: z.instanceof(Catalog).optional(),
    /** Larger messages are dead-lettered unread. */
    maxMessageBytes: z.number().int().positive().default(DEFAULT_MAX_MESSAGE_BYTES),
    /** `auto` detects apisix, kong and flat per record, then tries `fieldMapping` if given. */
    format: z.enum(FORMAT_CHOICES).default('auto'),
    fieldMapping: fieldMappingSchema.optional(),
    /** A record whose path matches no route belongs to the backup service when its service, route name or host matches. */
    servicePattern: z.instanceof(RegExp).default(DEFAULT_SERVICE_PATTERN),
  })
  .strict()
  .refine((options) => options.format !== 'mapped' || options.fieldMapping !== undefined, {
    message: "format 'mapped' needs a fieldMapping",
    path: ['fieldMapping'],
  });

export type FieldMapping = z.infer<typeof fieldMappingSchema>;
export type ExtractorOptions = z.input<typeof extractorOptionsSchema>;
export type ExtractorConfig = z.output<typeof extractorOptionsSchema>;
export type FormatChoice = (typeof FORMAT_CHOICES)[number];

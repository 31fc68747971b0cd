export { createExtractor, type Extractor } from './extractor.js';
export type { DeadReason, ErrorEvent, RecordOutcome, RequestSample, SkipReason } from './event.js';
export type { GatewayName } from './formats.js';
export {
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_SERVICE_PATTERN,
  extractorOptionsSchema,
  fieldMappingSchema,
  FORMAT_CHOICES,
  type ExtractorConfig,
  type ExtractorOptions,
  type FieldMapping,
  type FormatChoice,
} from './options.js';
export { matchRoute, type RouteMatch } from './routes.js';

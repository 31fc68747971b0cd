export { Catalog, CatalogLoadError, catalogDataUrl, loadDefaultCatalog, type CatalogMatch } from './catalog.js';
export { catalogFromRst, importCatalog, renderCatalogFile, vendorTableUrl, type ImportResult } from './import.js';
export { parseGridTable, RstTableError, type GridRow, type GridTable } from './rst.js';
export { catalogFileSchema, catalogRowSchema, type CatalogFile, type CatalogRow } from './schema.js';
export { compileTemplate, type TemplateMatcher } from './template.js';

// esbuild inject: gives CommonJS bundles an import.meta.url equivalent (esbuild turns the import
// into a require, and __filename is the bundle's own path).
import { pathToFileURL } from "node:url";

export const __importMetaUrl = pathToFileURL(__filename).href;

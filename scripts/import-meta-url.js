// esbuild inject: gives CommonJS bundles an import.meta.url equivalent.
export const __importMetaUrl = require("node:url").pathToFileURL(__filename).href;

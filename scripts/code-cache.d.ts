// Types of code-cache.js for the TypeScript that uses it (bench/bundle.ts ships its load-time
// runners the way scripts/build.js ships the shims).

/** The cache file of `<name>.bundle.cjs`, beside it. */
export function cacheFileOf(bundleFile: string): string;
/** The loader's source, for a bundle in the loader's own directory. */
export function loaderSource(bundleName: string): string;
/** Writes the bundle's V8 code cache by running it once through its loader. */
export function writeCodeCache(loaderFile: string, bundleFile: string): void;
/** Writes `loaderFile`, the loader of the bundle `bundleName` in the same directory. */
export function writeLoader(loaderFile: string, bundleName: string): void;

// The import rules of docs/architecture (shared/docs/architecture.md, "Layers"), as an ESLint rule,
// so a layer that imports one it must not fails `make lint` rather than a code review.
import path from "node:path";

/** Which layers each layer may import. A layer always may import its own files. */
export const allowedImports = {
  api: [],
  ttrpc: [],
  wasi: [],
  image: [],
  shim: ["ttrpc", "api"],
  engine: ["shim", "wasi"],
  bin: ["engine", "shim", "image", "ttrpc", "api"],
  examples: ["shim", "wasi"],
  // Tests and benchmarks drive everything from outside.
  test: "*",
  bench: "*",
  scripts: "*",
};

const root = path.resolve(import.meta.dirname, "..");

function layerOf(file) {
  const rel = path.relative(root, file);
  if (rel.startsWith("..")) return undefined;
  return rel.split(path.sep)[0];
}

/** Test files sit beside their module and may reach into any layer's internals. */
const isTestFile = (file) => /\.test\.ts$/.test(file);

export const layersPlugin = {
  rules: {
    imports: {
      meta: {
        type: "problem",
        messages: {
          forbidden:
            "layer '{{from}}' must not import layer '{{to}}' (allowed: {{allowed}}); see scripts/layers.js",
          internal: "import layer '{{to}}' through its index.ts, not '{{spec}}'",
        },
        schema: [],
      },
      create(context) {
        const file = context.filename;
        const from = layerOf(file);
        if (from === undefined || !(from in allowedImports)) return {};
        const check = (node) => {
          const spec = node.source?.value;
          if (typeof spec !== "string" || !spec.startsWith(".")) return;
          const target = path.resolve(path.dirname(file), spec);
          const to = layerOf(target);
          if (to === undefined || to === from) return;
          const allowed = allowedImports[from];
          if (allowed !== "*" && !allowed.includes(to)) {
            context.report({
              node,
              messageId: "forbidden",
              data: { from, to, allowed: allowed.join(", ") || "none" },
            });
            return;
          }
          const rel = path.relative(path.join(root, to), target);
          if (allowed !== "*" && !isTestFile(file) && rel !== "index.js" && rel !== "index.ts") {
            context.report({ node, messageId: "internal", data: { to, spec } });
          }
        };
        return {
          ImportDeclaration: check,
          ExportNamedDeclaration: check,
          ExportAllDeclaration: check,
          ImportExpression: check,
        };
      },
    },
  },
};

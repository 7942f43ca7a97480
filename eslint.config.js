import tseslint from "typescript-eslint";
import { layersPlugin } from "./scripts/layers.js";

export default tseslint.config(
  {
    ignores: [
      "node_modules/",
      "dist/",
      "build/",
      "api/gen/",
      "ttrpc/gen/",
      "test/cri/gen/",
      "test/containerd-api/gen/",
    ],
  },
  ...tseslint.configs.recommended,
  {
    plugins: { layers: layersPlugin },
    rules: {
      "layers/imports": "error",
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_" },
      ],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-console": "error",
    },
  },
  {
    // Command-line tools, tests, benchmarks and build scripts talk to a person on stdout.
    files: ["bin/runwasi*.ts", "test/**", "bench/**", "scripts/**", "**/*.test.ts", "examples/**"],
    rules: { "no-console": "off" },
  },
);

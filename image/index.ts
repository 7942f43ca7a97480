// image/: writes OCI image layout tars that `ctr image import` loads as they are. Knows nothing
// else of the project (scripts/layers.js). See README.md.
export { buildImage, writeImageTar, parsePlatform, MediaType, Annotation } from "./oci-image.js";
export type { ImageSpec, ImageConfig, BuiltImage } from "./oci-image.js";
export type { LayerEntry } from "./layer.js";
export { parseImageReference } from "./reference.js";
export type { ImageReference } from "./reference.js";
export { ImageError } from "./errors.js";
export type { ImageErrorCode } from "./errors.js";

// For other libraries: the building blocks, stable but lower level.
export { buildLayer, imagePath } from "./layer.js";
export { writeTar } from "./tar-writer.js";
export type { TarEntry, TarOptions } from "./tar-writer.js";

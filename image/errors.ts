/** Stable codes for everything `image/` refuses; callers branch on `code`, people read `message`. */
export type ImageErrorCode =
  /** A path inside the image is empty, has `..`, a NUL byte, or names the root itself. */
  | "IMAGE_BAD_PATH"
  /** Two entries claim one path, or a file sits where a directory is needed. */
  | "IMAGE_PATH_CONFLICT"
  /** The image name is not a valid reference (docker/distribution grammar). */
  | "IMAGE_BAD_NAME"
  /** A config value is malformed (an `Env` item without `=`, a platform without `/`, …). */
  | "IMAGE_BAD_CONFIG"
  /** A value does not fit the tar format (a file of 8 GiB or more). */
  | "IMAGE_TOO_LARGE"
  /** A host file or directory to copy in is missing or of a kind a layer cannot hold. */
  | "IMAGE_BAD_SOURCE";

/** The one error type of `image/`: every message names the offending value. */
export class ImageError extends Error {
  readonly code: ImageErrorCode;

  constructor(code: ImageErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ImageError";
    this.code = code;
  }
}

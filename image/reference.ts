// Image names, normalised the way Docker, nerdctl and containerd's CRI plugin do it
// (docker/distribution `ParseNormalizedNamed`): "app" means "docker.io/library/app:latest".
// `ctr` itself does not normalise, so the index must carry the full name or `ctr run`, `nerdctl`
// and Kubernetes would each look for a different one.
import { ImageError } from "./errors.js";

/** A parsed, normalised image name. */
export interface ImageReference {
  /** Full name: "docker.io/library/app:latest". */
  readonly name: string;
  /** Registry host, e.g. "docker.io", "localhost:5000". */
  readonly domain: string;
  /** Repository path below the domain, e.g. "library/app". */
  readonly repository: string;
  /** Tag, "latest" when none was given. */
  readonly tag: string;
}

const DEFAULT_DOMAIN = "docker.io";
const LEGACY_DOMAIN = "index.docker.io";
/** docker/distribution `reference/regexp.go`: path components, tags and domains. */
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DOMAIN =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::\d+)?$/;
/** The whole name is capped at 255 characters without the tag (docker/distribution `NameTotalLengthMax`). */
const MAX_NAME_LENGTH = 255;

/** Parses and normalises `given`; throws an `ImageError` naming the problem when it is not a valid name. */
export function parseImageReference(given: string): ImageReference {
  const bad = (why: string): ImageError =>
    new ImageError(
      "IMAGE_BAD_NAME",
      `invalid image name ${JSON.stringify(given)}: ${why} (example: docker.io/library/app:latest)`,
    );
  if (given === "") throw bad("it is empty");
  if (given.includes("@")) throw bad("a digest cannot be chosen; it is computed from the image");

  let rest = given;
  let tag = "latest";
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag))
      throw bad(
        `tag ${JSON.stringify(tag)} must be 1-128 of [A-Za-z0-9_.-], not starting with . or -`,
      );
  }

  let domain = DEFAULT_DOMAIN;
  let repository = rest;
  const slash = rest.indexOf("/");
  const first = slash < 0 ? "" : rest.slice(0, slash);
  // The first component is a registry only if it looks like a host: has a dot or port, or is localhost.
  if (
    first.includes(".") ||
    first.includes(":") ||
    first === "localhost" ||
    first !== first.toLowerCase()
  ) {
    domain = first === LEGACY_DOMAIN ? DEFAULT_DOMAIN : first;
    repository = rest.slice(slash + 1);
    if (!DOMAIN.test(domain)) throw bad(`registry ${JSON.stringify(domain)} is not a host name`);
  }
  if (domain === DEFAULT_DOMAIN && !repository.includes("/")) repository = `library/${repository}`;

  for (const component of repository.split("/")) {
    if (component !== component.toLowerCase()) throw bad("repository names must be lowercase");
    if (!PATH_COMPONENT.test(component)) {
      throw bad(
        `path component ${JSON.stringify(component)} must be lowercase letters and digits, joined by '.', '_', '__' or '-'`,
      );
    }
  }
  const full = `${domain}/${repository}`;
  if (full.length > MAX_NAME_LENGTH) throw bad(`it is longer than ${MAX_NAME_LENGTH} characters`);
  return { name: `${full}:${tag}`, domain, repository, tag };
}

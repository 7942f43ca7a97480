import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ImageError } from "./errors.js";
import { parseImageReference } from "./reference.js";

describe("parseImageReference", () => {
  it("normalises short names the way Docker, nerdctl and CRI do", () => {
    const cases: [string, string][] = [
      ["app", "docker.io/library/app:latest"],
      ["app:v1", "docker.io/library/app:v1"],
      ["user/app", "docker.io/user/app:latest"],
      ["docker.io/library/wasmtest:latest", "docker.io/library/wasmtest:latest"],
      ["index.docker.io/app", "docker.io/library/app:latest"],
      ["localhost/app", "localhost/app:latest"],
      ["localhost:5000/team/app:1.2.3", "localhost:5000/team/app:1.2.3"],
      ["ghcr.io/org/sub/app:v1_rc.2", "ghcr.io/org/sub/app:v1_rc.2"],
      ["example.com/a__b/c-d.e", "example.com/a__b/c-d.e:latest"],
    ];
    for (const [given, full] of cases) assert.equal(parseImageReference(given).name, full, given);
  });

  it("splits the name into domain, repository and tag", () => {
    assert.deepEqual(parseImageReference("localhost:5000/team/app:v2"), {
      name: "localhost:5000/team/app:v2",
      domain: "localhost:5000",
      repository: "team/app",
      tag: "v2",
    });
  });

  it("refuses invalid names with a message that says what is wrong", () => {
    const cases: [string, RegExp][] = [
      ["", /empty/],
      ["App", /lowercase/],
      ["app@sha256:abc", /digest/],
      ["app:", /tag/],
      ["app:-x", /tag/],
      ["a//b", /path component ""/],
      ["ex ample.com/app", /not a host name/],
      ["my app", /path component/],
      ["-app", /path component/],
      ["example.com:port/app", /not a host name/],
    ];
    for (const [given, why] of cases) {
      assert.throws(
        () => parseImageReference(given),
        (err: unknown) =>
          err instanceof ImageError && err.code === "IMAGE_BAD_NAME" && why.test(err.message),
        given,
      );
    }
  });
});
